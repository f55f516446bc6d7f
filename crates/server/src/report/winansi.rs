//! Text for the standard PDF fonts in WinAnsiEncoding (ISO 32000-1, annex D.2):
//! ASCII and Latin-1 map to themselves, a few typographic characters to the
//! 0x80–0x9F block; anything else becomes `?` (the standard 14 fonts have no
//! other glyphs).

pub fn encode(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '€' => 0x80,
            '‚' => 0x82,
            '„' => 0x84,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '™' => 0x99,
            '→' => b'>',
            '\t' => b' ',
            _ => b'?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::encode;

    #[test]
    fn latin1_and_typography_map_to_winansi_codes() {
        // Codes from ISO 32000-1:2008 table D.2 (WinAnsiEncoding column).
        assert_eq!(encode("A°±²"), vec![0x41, 0xb0, 0xb1, 0xb2]);
        assert_eq!(encode("€–—•"), vec![0x80, 0x96, 0x97, 0x95]);
        assert_eq!(encode("η"), vec![b'?']);
    }
}
