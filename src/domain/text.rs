//! Text rules: the search keys of R18 (æ/ae, ø/oe, å/aa and case insensitive) and Danish
//! collation for sorting by name (R24: æ, ø, å after z).

/// Folds a text for searching (R18): lower case, æ -> ae, ø -> oe, å -> aa, accents removed,
/// runs of white space collapsed. Stored beside names so that a plain `LIKE` finds parts of
/// words on both databases.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    let mut last_space = true;
    for c in s.chars().flat_map(char::to_lowercase) {
        let rep: &str = match c {
            'æ' | 'ä' => "ae",
            'ø' | 'ö' => "oe",
            'å' => "aa",
            'é' | 'è' | 'ê' | 'ë' => "e",
            'á' | 'à' | 'â' => "a",
            'ü' | 'ú' | 'ù' | 'û' => "u",
            'ó' | 'ò' | 'ô' => "o",
            'í' | 'ì' | 'î' | 'ï' => "i",
            c if c.is_whitespace() => {
                if !last_space {
                    out.push(' ');
                }
                last_space = true;
                continue;
            }
            _ => {
                out.push(c);
                last_space = false;
                continue;
            }
        };
        out.push_str(rep);
        last_space = false;
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// A looser key for names people type without Danish letters at all: "Kobenhavn",
/// "Koebenhavn" and "København" all give "kobenhavn".
pub fn loose(s: &str) -> String {
    fold(s)
        .replace("aa", "a")
        .replace("ae", "a")
        .replace("oe", "o")
        .replace(['-', '.'], " ")
}

/// The words of a search in the loose spelling ("Sct. Jorgensbjerg" -> ["sct", "jorgensbjerg"]):
/// each must occur in the key, in any order (issue 20, defect 4).
pub fn loose_words(s: &str) -> Vec<String> {
    loose(s).split_whitespace().map(str::to_string).collect()
}

/// Sort key with Danish collation: case-insensitive, æ (ä), ø (ö), å after z, accents on other
/// letters ignored, ü sorted as y. Compare keys, then a stable tie-break (the id).
pub fn collation_key(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'æ' | 'ä' => '\u{7b}',
            'ø' | 'ö' => '\u{7c}',
            'å' => '\u{7d}',
            'ü' => 'y',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'á' | 'à' | 'â' => 'a',
            'ó' | 'ò' | 'ô' => 'o',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ú' | 'ù' | 'û' => 'u',
            c => c,
        })
        .collect()
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
pub fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r18_spellings_fold_alike() {
        let stored = fold("Ældrecenter Aldersro");
        for q in [
            "aldersr",
            "Aeldrecenter",
            "ældrecenter",
            "ÆLDRECENTER ALDERSRO",
            "center ald",
        ] {
            assert!(stored.contains(&fold(q)), "{q} should find {stored}");
        }
        assert!(!stored.contains(&fold("aldersbo")));
        assert_eq!(fold("Åbenrå"), fold("Aabenraa"));
        assert_eq!(fold("  Bøgely   Plejecenter "), "boegely plejecenter");
    }

    #[test]
    fn loose_accepts_names_without_danish_letters() {
        let k = loose("København");
        assert_eq!(loose("Kobenhavn"), k);
        assert_eq!(loose("Koebenhavn"), k);
        assert_eq!(loose("KØBENHAVN"), k);
    }

    #[test]
    fn r24_danish_collation_puts_aeoeaa_after_z() {
        let mut names = vec![
            "Åhaven",
            "Zebra",
            "Ølby",
            "Ærø",
            "alfa",
            "Bøgely",
            "Bogholder",
        ];
        names.sort_by_key(|n| collation_key(n));
        assert_eq!(
            names,
            vec![
                "alfa",
                "Bogholder",
                "Bøgely",
                "Zebra",
                "Ærø",
                "Ølby",
                "Åhaven"
            ]
        );
    }

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like("100%_a\\b"), "100\\%\\_a\\\\b");
    }
}
