//! Fixed number formatting: the same value always prints the same way.

/// An energy in kWh for a label: grouped thousands, at least three
/// significant digits for small values (a small flow states its true value).
pub fn kwh(v: f64) -> String {
    let a = v.abs();
    let s = if a == 0.0 {
        "0".to_owned()
    } else if a >= 1000.0 {
        group(&format!("{:.0}", a))
    } else if a >= 100.0 {
        format!("{a:.1}")
    } else if a >= 1.0 {
        format!("{a:.2}")
    } else {
        let decimals = (2 - a.log10().floor() as i32).clamp(3, 12) as usize;
        format!("{a:.decimals$}")
    };
    if v < 0.0 { format!("-{s}") } else { s }
}

/// A share (0–1) in percent: one decimal from 1 %, two significant digits below.
pub fn percent(share: f64) -> String {
    let p = share * 100.0;
    let a = p.abs();
    let s = if a == 0.0 {
        "0".to_owned()
    } else if a >= 1.0 {
        format!("{a:.1}")
    } else {
        let decimals = (1 - a.log10().floor() as i32).clamp(1, 12) as usize;
        format!("{a:.decimals$}")
    };
    if p < 0.0 {
        format!("-{s} %")
    } else {
        format!("{s} %")
    }
}

/// A coordinate with two decimals, never `-0.00`.
pub fn coord(v: f64) -> String {
    let r = (v * 100.0).round() / 100.0;
    let r = if r == 0.0 { 0.0 } else { r };
    let s = format!("{r:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_owned()
}

/// Rounds to `decimals` for JSON output (stable, readable).
pub fn round(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    let r = (v * f).round() / f;
    if r == 0.0 { 0.0 } else { r }
}

fn group(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Escapes text for XML content and attributes.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for plotly.js, which parses labels, titles and hover text
/// as a subset of HTML. `<` and `>` become entities so no tag can be formed
/// from the text; `&` so an entity in the text shows as typed; quotes use
/// numeric references (plotly.js decodes numeric references but not
/// `&quot;`). Control characters become spaces, as in [`xml`].
pub fn plotly_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kwh_formats() {
        assert_eq!(kwh(0.0), "0");
        assert_eq!(kwh(1050.0), "1,050");
        assert_eq!(kwh(1_234_567.4), "1,234,567");
        assert_eq!(kwh(750.0), "750.0");
        assert_eq!(kwh(20.0), "20.00");
        assert_eq!(kwh(0.0123), "0.0123");
        assert_eq!(kwh(0.5), "0.500");
    }

    #[test]
    fn percent_formats() {
        assert_eq!(percent(0.9048), "90.5 %");
        assert_eq!(percent(0.001234), "0.12 %");
        assert_eq!(percent(0.0), "0 %");
        assert_eq!(percent(0.00001), "0.0010 %");
    }

    #[test]
    fn coords() {
        assert_eq!(coord(-0.001), "0");
        assert_eq!(coord(12.5), "12.5");
        assert_eq!(coord(12.345_6), "12.35");
    }
}
