//! A report as PDF, written directly with `pdf-writer`: the standard
//! Helvetica and Courier fonts (no embedding; ISO 32000-1 §9.6.2.2) in
//! WinAnsiEncoding, so any viewer shows it and `pdftotext` extracts it; the
//! Sankey drawn as vector paths from the same layout the SVG uses. A4
//! portrait, top-to-bottom flow with page breaks. No browser, no network.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use sankey::{Anchor, Diagram, LabelKind};

use super::winansi::encode;
use super::{Block, Report};

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 50.0;
const BODY: f32 = 10.0;
const CODE: f32 = 8.0;
const LEAD: f32 = 1.35;

const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");
const MONO: Name<'static> = Name(b"F3");

/// Helvetica advance widths (1/1000 em) of ASCII 32..=126, from Adobe's
/// Helvetica.afm (Core14 AFM files).
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/// Width of `s` in points; bold is taken 6 % wider, Courier is 600/1000 em.
fn width(s: &str, font: Name, size: f32) -> f32 {
    if font == MONO {
        return s.chars().count() as f32 * 0.6 * size;
    }
    let em: u32 = s
        .chars()
        .map(|c| match c as u32 {
            32..=126 => u32::from(HELVETICA[(c as u32 - 32) as usize]),
            _ => 556,
        })
        .sum();
    let w = em as f32 / 1000.0 * size;
    if font == BOLD { w * 1.06 } else { w }
}

/// Greedy word wrap to `max` points; a word longer than a line is cut.
fn wrap(text: &str, font: Name, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if width(&candidate, font, size) <= max || line.is_empty() {
            line = candidate;
        } else {
            lines.push(std::mem::take(&mut line));
            line = word.to_owned();
        }
        while width(&line, font, size) > max && line.chars().count() > 1 {
            let mut cut = line.chars().count() - 1;
            while cut > 1 && width(&line.chars().take(cut).collect::<String>(), font, size) > max {
                cut -= 1;
            }
            lines.push(line.chars().take(cut).collect());
            line = line.chars().skip(cut).collect();
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

/// Fits `s` in `max` points, ending in "..." when cut.
fn fit(s: &str, font: Name, size: f32, max: f32) -> String {
    if width(s, font, size) <= max {
        return s.to_owned();
    }
    let mut out: String = s.to_owned();
    while !out.is_empty() && width(&format!("{out}..."), font, size) > max {
        out.pop();
    }
    format!("{out}...")
}

struct Writer {
    pages: Vec<Content>,
    page: Content,
    /// Baseline cursor, from the top of the page downwards (PDF y = PAGE_H - y).
    y: f32,
}

impl Writer {
    fn new() -> Writer {
        Writer {
            pages: Vec::new(),
            page: Content::new(),
            y: MARGIN,
        }
    }

    fn new_page(&mut self) {
        let done = std::mem::replace(&mut self.page, Content::new());
        self.pages.push(done);
        self.y = MARGIN;
    }

    /// Makes room for `h` points, starting a page if needed.
    fn need(&mut self, h: f32) {
        if self.y + h > PAGE_H - MARGIN && self.y > MARGIN {
            self.new_page();
        }
    }

    fn text_at(&mut self, x: f32, y_down: f32, font: Name, size: f32, s: &str) {
        self.page.set_fill_rgb(0.1, 0.1, 0.1);
        self.page.begin_text();
        self.page.set_font(font, size);
        self.page.next_line(x, PAGE_H - y_down);
        self.page.show(Str(&encode(s)));
        self.page.end_text();
    }

    fn line(&mut self, font: Name, size: f32, s: &str) {
        self.need(size * LEAD);
        self.y += size * LEAD;
        self.text_at(MARGIN, self.y, font, size, s);
    }

    fn paragraph(&mut self, font: Name, size: f32, s: &str) {
        for l in wrap(s, font, size, PAGE_W - 2.0 * MARGIN) {
            self.line(font, size, &l);
        }
        self.y += size * 0.5;
    }

    fn rule(&mut self) {
        self.page.set_stroke_rgb(0.46, 0.46, 0.46);
        self.page.set_line_width(0.5);
        self.page.move_to(MARGIN, PAGE_H - self.y - 3.0);
        self.page.line_to(PAGE_W - MARGIN, PAGE_H - self.y - 3.0);
        self.page.stroke();
    }

    fn facts(&mut self, pairs: &[(String, String)]) {
        let key_w = pairs
            .iter()
            .map(|(k, _)| width(k, BOLD, BODY))
            .fold(0.0, f32::max)
            .min(180.0)
            + 10.0;
        let value_w = PAGE_W - 2.0 * MARGIN - key_w;
        for (k, v) in pairs {
            let lines = wrap(v, REGULAR, BODY, value_w);
            self.need(BODY * LEAD * lines.len() as f32);
            self.y += BODY * LEAD;
            self.text_at(
                MARGIN,
                self.y,
                BOLD,
                BODY,
                &fit(k, BOLD, BODY, key_w - 10.0),
            );
            for (i, l) in lines.iter().enumerate() {
                if i > 0 {
                    self.y += BODY * LEAD;
                }
                self.text_at(MARGIN + key_w, self.y, REGULAR, BODY, l);
            }
        }
        self.y += BODY * 0.5;
    }

    fn table(&mut self, head: &[String], rows: &[Vec<String>]) {
        let size = 9.0;
        let total = PAGE_W - 2.0 * MARGIN;
        let cols = head.len().max(1);
        // Columns share the width in proportion to their widest cell, capped.
        let natural: Vec<f32> = (0..cols)
            .map(|c| {
                let cells = rows.iter().filter_map(|r| r.get(c));
                cells
                    .map(|s| width(s, REGULAR, size))
                    .chain(head.get(c).map(|h| width(h, BOLD, size)))
                    .fold(20.0, f32::max)
                    .min(total * 0.6)
                    + 8.0
            })
            .collect();
        let sum: f32 = natural.iter().sum();
        let widths: Vec<f32> = natural.iter().map(|w| w * total / sum.max(total)).collect();
        let line_h = size * LEAD;
        // Cells wrap; a row is as tall as its tallest cell.
        let draw_row = |w: &mut Writer, cells: &[String], font: Name| {
            let wrapped: Vec<Vec<String>> = widths
                .iter()
                .enumerate()
                .map(|(c, cw)| {
                    let cell = cells.get(c).map(String::as_str).unwrap_or("");
                    wrap(cell, font, size, cw - 6.0)
                })
                .collect();
            let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
            let row_h = line_h * lines as f32 + 2.0;
            w.need(row_h);
            let top = w.y;
            let mut x = MARGIN;
            for (c, cw) in widths.iter().enumerate() {
                for (i, l) in wrapped[c].iter().enumerate() {
                    w.text_at(x + 2.0, top + line_h * (i + 1) as f32 - 1.0, font, size, l);
                }
                x += cw;
            }
            w.y = top + row_h;
            w.page.set_stroke_rgb(0.69, 0.69, 0.69);
            w.page.set_line_width(0.4);
            w.page.move_to(MARGIN, PAGE_H - w.y);
            w.page.line_to(MARGIN + total, PAGE_H - w.y);
            w.page.stroke();
        };
        draw_row(self, head, BOLD);
        for row in rows {
            draw_row(self, row, REGULAR);
        }
        self.y += BODY * 0.8;
    }

    fn code(&mut self, text: &str) {
        let per_line = ((PAGE_W - 2.0 * MARGIN) / (0.6 * CODE)) as usize;
        for raw in text.lines() {
            let chars: Vec<char> = raw.chars().collect();
            for chunk in chars.chunks(per_line.max(1)) {
                let s: String = chunk.iter().collect();
                self.line(MONO, CODE, &s);
            }
            if chars.is_empty() {
                self.y += CODE * LEAD;
            }
        }
        self.y += CODE;
    }

    fn sankey(&mut self, d: &Diagram) {
        let avail = PAGE_W - 2.0 * MARGIN;
        let scale = (avail / d.width as f32).min(1.0);
        let h = d.height as f32 * scale;
        self.need(h);
        let (x0, top) = (MARGIN, self.y);
        let tx = |x: f64| x0 + x as f32 * scale;
        let ty = |y: f64| PAGE_H - (top + y as f32 * scale);
        // Link bands: the SVG path data, redrawn; 45 % opacity over white as a solid tint.
        for link in &d.links {
            let (r, g, b) = link.colour_role.rgb();
            let tint = |c: u8| 1.0 - 0.45 * (1.0 - f32::from(c) / 255.0);
            if link.recycle {
                self.page.set_stroke_rgb(tint(r), tint(g), tint(b));
                self.page.set_line_width(link.width as f32 * scale);
            } else {
                self.page.set_fill_rgb(tint(r), tint(g), tint(b));
            }
            path(&mut self.page, &link.path, &tx, &ty);
            if link.recycle {
                self.page.stroke();
            } else {
                self.page.fill_nonzero();
            }
        }
        for n in &d.nodes {
            let (r, g, b) = n.role.rgb();
            let rgb = |c: u8| f32::from(c) / 255.0;
            self.page.set_fill_rgb(rgb(r), rgb(g), rgb(b));
            self.page.rect(
                tx(n.x),
                ty(n.y + n.height),
                14.0 * scale,
                n.height as f32 * scale,
            );
            self.page.fill_nonzero();
        }
        for e in &d.legend {
            let (r, g, b) = e.role.rgb();
            let rgb = |c: u8| f32::from(c) / 255.0;
            self.page.set_fill_rgb(rgb(r), rgb(g), rgb(b));
            self.page
                .rect(tx(e.x), ty(e.y + 12.0), 12.0 * scale, 12.0 * scale);
            self.page.fill_nonzero();
        }
        for label in &d.labels {
            let (size, line_h, font) = match label.kind {
                LabelKind::Title => (sankey::TITLE_FONT_SIZE, 20.0, BOLD),
                _ => (sankey::FONT_SIZE, 15.0, REGULAR),
            };
            let size_pt = size as f32 * scale;
            for (i, text) in label.lines.iter().enumerate() {
                let base = label.y + i as f64 * line_h + line_h / 2.0 + size * 0.35;
                let tw = width(text, font, size_pt);
                let ax = tx(label.anchor_x());
                let x = match label.anchor {
                    Anchor::Start => ax,
                    Anchor::Middle => ax - tw / 2.0,
                    Anchor::End => ax - tw,
                };
                self.text_at(x, top + base as f32 * scale, font, size_pt, text);
            }
        }
        self.y = top + h + BODY;
    }
}

/// Draws SVG path data of the absolute commands the layout writes (M, L, H, V, C, Z).
fn path(c: &mut Content, d: &str, tx: &dyn Fn(f64) -> f32, ty: &dyn Fn(f64) -> f32) {
    let mut tokens: Vec<String> = Vec::new();
    let mut num = String::new();
    for ch in d.chars() {
        if ch.is_ascii_alphabetic() && ch != 'e' {
            if !num.is_empty() {
                tokens.push(std::mem::take(&mut num));
            }
            tokens.push(ch.to_string());
        } else if ch == ' ' || ch == ',' {
            if !num.is_empty() {
                tokens.push(std::mem::take(&mut num));
            }
        } else if ch == '-' && !num.is_empty() && !num.ends_with('e') {
            tokens.push(std::mem::take(&mut num));
            num.push(ch);
        } else {
            num.push(ch);
        }
    }
    if !num.is_empty() {
        tokens.push(num);
    }
    let mut i = 0;
    let mut cmd = 'M';
    let (mut x, mut y) = (0.0f64, 0.0f64);
    let n = |i: &mut usize| -> f64 {
        let v = tokens.get(*i).and_then(|t| t.parse().ok()).unwrap_or(0.0);
        *i += 1;
        v
    };
    while i < tokens.len() {
        if let Some(ch) = tokens[i].chars().next().filter(|c| c.is_ascii_alphabetic()) {
            cmd = ch;
            i += 1;
            if ch == 'Z' || ch == 'z' {
                c.close_path();
                continue;
            }
        }
        match cmd {
            'M' => {
                (x, y) = (n(&mut i), n(&mut i));
                c.move_to(tx(x), ty(y));
                cmd = 'L';
            }
            'L' => {
                (x, y) = (n(&mut i), n(&mut i));
                c.line_to(tx(x), ty(y));
            }
            'H' => {
                x = n(&mut i);
                c.line_to(tx(x), ty(y));
            }
            'V' => {
                y = n(&mut i);
                c.line_to(tx(x), ty(y));
            }
            'C' => {
                let (x1, y1, x2, y2) = (n(&mut i), n(&mut i), n(&mut i), n(&mut i));
                (x, y) = (n(&mut i), n(&mut i));
                c.cubic_to(tx(x1), ty(y1), tx(x2), ty(y2), tx(x), ty(y));
            }
            _ => i += 1,
        }
    }
}

pub fn render(report: &Report) -> Vec<u8> {
    let mut w = Writer::new();
    w.line(BOLD, 18.0, &report.title);
    w.y += 4.0;
    w.line(MONO, 10.0, &report.subject_id);
    w.y += 4.0;
    w.facts(&report.title_block);
    for section in &report.sections {
        w.need(40.0);
        w.y += 8.0;
        w.line(BOLD, 13.0, &section.heading);
        w.rule();
        w.y += 4.0;
        for block in &section.blocks {
            match block {
                Block::Paragraph(t) => w.paragraph(REGULAR, BODY, t),
                Block::Facts(pairs) => w.facts(pairs),
                Block::Table { head, rows } => w.table(head, rows),
                Block::Sankey(d) => w.sankey(d),
                Block::Code(t) => w.code(t),
            }
        }
    }
    w.new_page();
    assemble(report, w.pages)
}

fn assemble(report: &Report, pages: Vec<Content>) -> Vec<u8> {
    let mut alloc = Ref::new(1);
    let catalog = alloc.bump();
    let tree = alloc.bump();
    let info = alloc.bump();
    let fonts = [
        (REGULAR, alloc.bump(), "Helvetica"),
        (BOLD, alloc.bump(), "Helvetica-Bold"),
        (MONO, alloc.bump(), "Courier"),
    ];
    let ids: Vec<(Ref, Ref)> = pages.iter().map(|_| (alloc.bump(), alloc.bump())).collect();
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(ids.iter().map(|(p, _)| *p))
        .count(ids.len() as i32);
    pdf.document_info(info)
        .title(TextStr(&report.title))
        .subject(TextStr(&report.subject_id))
        .producer(TextStr(concat!("thermaliq ", env!("CARGO_PKG_VERSION"))));
    for (name, id, base) in fonts {
        let _ = name;
        pdf.type1_font(id)
            .base_font(Name(base.as_bytes()))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    for ((page_id, content_id), content) in ids.iter().zip(pages) {
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
        page.parent(tree);
        page.contents(*content_id);
        let mut resources = page.resources();
        let mut f = resources.fonts();
        for (name, id, _) in fonts {
            f.pair(name, id);
        }
        f.finish();
        resources.finish();
        page.finish();
        pdf.stream(*content_id, &content.finish());
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_every_word_within_the_width() {
        let text = "the quick brown fox jumps over the lazy dog ".repeat(20);
        let lines = wrap(&text, REGULAR, 10.0, 200.0);
        assert!(lines.len() > 5);
        for l in &lines {
            assert!(width(l, REGULAR, 10.0) <= 200.0, "{l}");
        }
        assert_eq!(
            lines.join(" ").split_whitespace().count(),
            text.split_whitespace().count()
        );
    }

    #[test]
    fn helvetica_widths_match_the_afm() {
        // Helvetica.afm: "H" 722, "i" 222, space 278.
        assert!((width("Hi ", REGULAR, 1000.0) - 1222.0).abs() < 1e-3);
    }

    proptest::proptest! {
        /// Any report text makes a PDF whose every page is listed, whatever the characters.
        #[test]
        fn any_text_makes_a_well_formed_pdf(title in "\\PC{0,80}", para in "\\PC{0,600}") {
            let report = Report {
                title: title.clone(),
                subject_id: "CALC-X".into(),
                title_block: vec![("Period".into(), para.clone())],
                sections: vec![crate::report::Section::new(title)
                    .with(Block::Paragraph(para.clone()))
                    .with(Block::Code(para.clone()))
                    .with(Block::Table { head: vec!["a".into(), "b".into()], rows: vec![vec![para.clone(), para]] })],
            };
            let pdf = render(&report);
            proptest::prop_assert!(pdf.starts_with(b"%PDF-"));
            let text = String::from_utf8_lossy(&pdf);
            proptest::prop_assert!(text.trim_end().ends_with("%%EOF"));
            let pages = text.matches("/Type /Page\n").count() + text.matches("/Type /Page ").count()
                + text.matches("/Type /Page/").count();
            proptest::prop_assert!(pages >= 1, "no page object");
        }

        #[test]
        fn wrapped_lines_fit_for_any_text(text in "[a-zA-Z0-9 .,-]{0,400}", max in 30.0f32..400.0) {
            for l in wrap(&text, REGULAR, 10.0, max) {
                // A single character wider than the line is the only overflow allowed.
                proptest::prop_assert!(width(&l, REGULAR, 10.0) <= max || l.chars().count() == 1, "{}", l);
            }
        }
    }
}
