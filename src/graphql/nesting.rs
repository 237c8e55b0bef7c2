//! Lexical nesting bounds, checked before any parser sees a document.
//!
//! async-graphql's parser (pest) and serde's `Value` conversions recurse once per level of
//! `{`, `[` and `(`, so a 4 KB document nested 2,000 deep overflows a worker's stack and aborts
//! the whole process. No crate offers a nesting bound for GraphQL text, so this is written by
//! hand: one linear pass over the bytes, no allocation, stopping as soon as the bound is passed.
//! It counts only what the parser would nest on: brackets outside strings, block strings and
//! comments (GraphQL) or outside strings (JSON).

#[derive(Clone, Copy)]
enum State {
    Normal,
    Comment,
    String,
    BlockString,
}

/// `Err(depth)` when the brackets of a GraphQL document nest deeper than `max`.
pub fn check_graphql(doc: &str, max: usize) -> Result<(), usize> {
    let b = doc.as_bytes();
    let mut depth = 0usize;
    let mut state = State::Normal;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match state {
            State::Normal => match c {
                b'#' => state = State::Comment,
                b'"' => {
                    if b.get(i + 1) == Some(&b'"') && b.get(i + 2) == Some(&b'"') {
                        state = State::BlockString;
                        i += 2;
                    } else {
                        state = State::String;
                    }
                }
                b'{' | b'[' | b'(' => {
                    depth += 1;
                    if depth > max {
                        return Err(depth);
                    }
                }
                b'}' | b']' | b')' => depth = depth.saturating_sub(1),
                _ => {}
            },
            State::Comment => {
                if c == b'\n' || c == b'\r' {
                    state = State::Normal;
                }
            }
            State::String => match c {
                b'\\' => i += 1,
                b'"' | b'\n' | b'\r' => state = State::Normal,
                _ => {}
            },
            State::BlockString => {
                if c == b'\\' && b[i + 1..].starts_with(b"\"\"\"") {
                    i += 3;
                } else if b[i..].starts_with(b"\"\"\"") {
                    state = State::Normal;
                    i += 2;
                }
            }
        }
        i += 1;
    }
    Ok(())
}

/// `Err(depth)` when the arrays and objects of a JSON text nest deeper than `max`.
pub fn check_json(text: &[u8], max: usize) -> Result<(), usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut i = 0;
    while i < text.len() {
        let c = text[i];
        if in_string {
            match c {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
        } else {
            match c {
                b'"' => in_string = true,
                b'{' | b'[' => {
                    depth += 1;
                    if depth > max {
                        return Err(depth);
                    }
                }
                b'}' | b']' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        i += 1;
    }
    Ok(())
}

/// The nesting depth of an already parsed value (variables), without recursion.
pub fn value_depth(v: &async_graphql::Value) -> usize {
    use async_graphql::Value as V;
    let mut max = 0;
    let mut stack = vec![(v, 0usize)];
    while let Some((v, d)) = stack.pop() {
        match v {
            V::List(l) => {
                max = max.max(d + 1);
                stack.extend(l.iter().map(|x| (x, d + 1)));
            }
            V::Object(o) => {
                max = max.max(d + 1);
                stack.extend(o.values().map(|x| (x, d + 1)));
            }
            _ => {}
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_brackets_of_every_kind() {
        assert_eq!(check_graphql("{ a { b } }", 2), Ok(()));
        assert_eq!(check_graphql("{ a { b { c } } }", 2), Err(3));
        let list = format!("{{ k(f: {}1{}) }}", "[".repeat(100), "]".repeat(100));
        assert!(check_graphql(&list, 64).is_err());
        let obj = format!("{{ k(f: {}) }}", "{a: ".repeat(100));
        assert!(check_graphql(&obj, 64).is_err());
        let frag = format!("{{ {} }}", "... on Query { ".repeat(100));
        assert!(check_graphql(&frag, 64).is_err());
    }

    #[test]
    fn ignores_strings_block_strings_and_comments() {
        let deep = "[".repeat(500);
        assert_eq!(check_graphql(&format!("{{ k(s: \"{deep}\") }}"), 4), Ok(()));
        assert_eq!(
            check_graphql(&format!("{{ k(s: \"\\\"{deep}\") }}"), 4),
            Ok(())
        );
        assert_eq!(
            check_graphql(
                &format!("{{ k(s: \"\"\"{deep} \\\"\"\" {deep}\"\"\") }}"),
                4
            ),
            Ok(())
        );
        assert_eq!(check_graphql(&format!("# {deep}\n{{ a }}"), 4), Ok(()));
        assert!(check_graphql(&format!("# x\n{deep}"), 4).is_err());
    }

    #[test]
    fn json_nesting() {
        assert_eq!(check_json(br#"{"a": [1, {"b": "[[[["}]}"#, 3), Ok(()));
        assert_eq!(check_json(br#"{"a": [[[1]]]}"#, 3), Err(4));
        assert_eq!(check_json(br#"{"a": "\"[[[[[["}"#, 1), Ok(()));
    }
}
