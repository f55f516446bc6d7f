//! A report as one self-contained HTML page: inline CSS, the Sankey as inline
//! SVG, nothing loaded from anywhere (served with `default-src 'none'`).
//! Every piece of text goes through [`escape`].

use std::fmt::Write;

use super::{Block, Report};

/// HTML-escapes text for element content and quoted attribute values
/// (the five characters of the OWASP XSS prevention cheat sheet, rule 1).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:Helvetica,Arial,sans-serif;color:#1a1a1a;margin:2rem auto;\
max-width:60rem;padding:0 1rem;line-height:1.4}h1{font-size:1.6rem;margin-bottom:.2rem}\
h2{font-size:1.2rem;border-bottom:1px solid #767676;margin-top:2rem}\
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #b0b0b0;padding:.25rem .5rem;\
text-align:left;vertical-align:top}td.num{text-align:right;font-variant-numeric:tabular-nums}\
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{font-weight:bold}\
dd{margin:0}code,pre{font-family:Courier,monospace;font-size:.85rem;overflow-wrap:anywhere;\
white-space:pre-wrap}svg{max-width:100%;height:auto}";

fn looks_numeric(s: &str) -> bool {
    let t = s.trim_end_matches([' ', '%']);
    !t.is_empty() && t.parse::<f64>().is_ok()
}

pub fn render(report: &Report) -> String {
    let mut s = String::with_capacity(16 * 1024);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{t}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header>\n<h1>{t}</h1>\n\
         <p><code id=\"subject-id\">{id}</code></p>\n<dl>\n",
        t = escape(&report.title),
        id = escape(&report.subject_id),
    );
    for (k, v) in &report.title_block {
        let _ = writeln!(s, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(v));
    }
    s.push_str("</dl>\n</header>\n");
    for section in &report.sections {
        let _ = writeln!(s, "<section>\n<h2>{}</h2>", escape(&section.heading));
        for block in &section.blocks {
            match block {
                Block::Paragraph(text) => {
                    let _ = writeln!(s, "<p>{}</p>", escape(text));
                }
                Block::Facts(pairs) => {
                    s.push_str("<dl>\n");
                    for (k, v) in pairs {
                        let _ = writeln!(s, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(v));
                    }
                    s.push_str("</dl>\n");
                }
                Block::Table { head, rows } => {
                    s.push_str("<table>\n<thead><tr>");
                    for h in head {
                        let _ = write!(s, "<th scope=\"col\">{}</th>", escape(h));
                    }
                    s.push_str("</tr></thead>\n<tbody>\n");
                    for row in rows {
                        s.push_str("<tr>");
                        for cell in row {
                            let class = if looks_numeric(cell) {
                                " class=\"num\""
                            } else {
                                ""
                            };
                            let _ = write!(s, "<td{class}>{}</td>", escape(cell));
                        }
                        s.push_str("</tr>\n");
                    }
                    s.push_str("</tbody>\n</table>\n");
                }
                // The sankey crate escapes every text it writes into its SVG.
                Block::Sankey(diagram) => {
                    let _ = writeln!(s, "<figure>\n{}\n</figure>", diagram.to_svg());
                }
                Block::Code(text) => {
                    let _ = writeln!(s, "<pre><code>{}</code></pre>", escape(text));
                }
            }
        }
        s.push_str("</section>\n");
    }
    s.push_str("</body>\n</html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Section;

    #[test]
    fn every_text_is_escaped() {
        let report = Report {
            title: "<script>alert(1)</script>".into(),
            subject_id: "CALC-\"x\"".into(),
            title_block: vec![("a&b".into(), "'q'".into())],
            sections: vec![
                Section::new("S<1>")
                    .with(Block::Paragraph("<img src=x onerror=1>".into()))
                    .with(Block::Table {
                        head: vec!["<h>".into()],
                        rows: vec![vec!["<td>".into()]],
                    }),
            ],
        };
        let html = render(&report);
        assert!(!html.contains("<script>alert"));
        assert!(!html.contains("<img src=x"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("CALC-&quot;x&quot;"));
        assert!(html.contains("a&amp;b") && html.contains("&#x27;q&#x27;"));
        assert!(html.contains("&lt;td&gt;") && html.contains("S&lt;1&gt;"));
    }

    proptest::proptest! {
        /// Escaped text holds no markup character and reads back as the original.
        #[test]
        fn escape_is_markup_free_and_reversible(text in "\\PC*") {
            let e = escape(&text);
            proptest::prop_assert!(!e.contains(['<', '>', '"', '\'']));
            let back = e
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#x27;", "'")
                .replace("&amp;", "&");
            proptest::prop_assert_eq!(back, text);
        }
    }
}
