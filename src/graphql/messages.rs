//! Danish messages for async-graphql's own English errors (parser, validation, input
//! coercion, limits). The English original goes to `extensions.detail` for developers.
//!
//! async-graphql has no hook to localise its messages, so they are recognised by their format
//! strings. The patterns below are written exactly like async-graphql's `format!` strings
//! (`{}` marks a value), so they can be compared with its source side by side; a small matcher
//! is enough for them and keeps a regex engine out of the request path. A message that matches
//! none still gets a Danish sentence and the code of its class.

/// A translated error: the stable code, the Danish message and, where the error concerns one
/// input value, its path (e.g. `input.startdato`) for `extensions.fields`.
#[derive(Debug, PartialEq)]
pub struct Danish {
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

/// The limits the messages name.
#[derive(Clone, Copy)]
pub struct LimitValues {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_directives: usize,
}

const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";

/// Matches `s` against a pattern with `{}` placeholders; returns the values.
fn capture<'a>(pattern: &str, s: &'a str) -> Option<Vec<&'a str>> {
    let segs: Vec<&str> = pattern.split("{}").collect();
    let mut rest = s.strip_prefix(segs[0])?;
    let mut out = Vec::with_capacity(segs.len() - 1);
    for (i, seg) in segs.iter().enumerate().skip(1) {
        let last = i == segs.len() - 1;
        if last {
            if seg.is_empty() {
                out.push(rest);
                rest = "";
            } else {
                let v = rest.strip_suffix(seg)?;
                out.push(v);
                rest = "";
            }
        } else {
            let at = rest.find(seg)?;
            out.push(&rest[..at]);
            rest = &rest[at + seg.len()..];
        }
    }
    rest.is_empty().then_some(out)
}

/// " Did you mean "a", "b" or "c"?" -> " Mente du "a", "b" eller "c"?"
fn suggestion(tail: &str) -> String {
    match tail.trim().strip_prefix("Did you mean ") {
        Some(s) => format!(" Mente du {}", s.replace("\" or \"", "\" eller \"")),
        None => String::new(),
    }
}

/// What a value of a type must look like, in Danish.
fn expected_type(ty: &str) -> String {
    let base = ty.trim_end_matches('!');
    let required = if ty.ends_with('!') {
        " (påkrævet)"
    } else {
        ""
    };
    let what = match base {
        "Date" => "en dato på formen ÅÅÅÅ-MM-DD mellem 1900-01-01 og 2999-12-31".to_string(),
        "Int" => "et heltal".to_string(),
        "Float" => "et tal".to_string(),
        "String" => "en tekst".to_string(),
        "Boolean" => "true eller false".to_string(),
        "ID" => "et id (tekst)".to_string(),
        "DateTime" => "et tidspunkt efter RFC 3339, fx 2026-01-31T12:00:00Z".to_string(),
        t if t.starts_with('[') => format!("en liste af typen {t}"),
        t => format!("en værdi af typen {t}"),
    };
    format!("{what}{required}")
}

/// The reason of an invalid input value (`"path", reason`) in Danish.
fn invalid_value(reason: &str) -> Danish {
    let (path, why) = match capture("\"{}\", {}", reason) {
        Some(v) => (v[0].to_string(), v[1]),
        None => (String::new(), reason),
    };
    let explanation = if let Some(v) = capture("expected type \"{}\"", why) {
        format!("forventede {}", expected_type(v[0]))
    } else if let Some(v) = capture(
        "enumeration type \"{}\" does not contain the value \"{}\"",
        why,
    ) {
        format!("\"{}\" er ikke en af værdierne i {}", v[1], v[0])
    } else if let Some(v) = capture(
        "field \"{}\" of type \"{}\" is required but not provided",
        why,
    ) {
        format!("feltet \"{}\" ({}) skal angives", v[0], expected_type(v[1]))
    } else if let Some(v) = capture("unknown field \"{}\" of type \"{}\"", why) {
        format!("feltet \"{}\" findes ikke i {}", v[0], v[1])
    } else if let Some(v) = capture("Failed to parse \"{}\": {}", why) {
        parse_failure(v[0], v[1])
    } else if why.starts_with("Oneof") {
        "præcis ét felt skal angives, og det må ikke være null".to_string()
    } else {
        "værdien har ikke den forventede type".to_string()
    };
    let message = if path.is_empty() {
        format!("Ugyldig værdi: {explanation}.")
    } else {
        format!("Ugyldig værdi for \"{path}\": {explanation}.")
    };
    Danish {
        code: "VALIDATION",
        message,
        field: (!path.is_empty()).then_some(path),
    }
}

/// `Failed to parse "T": msg`: our own scalars' messages are Danish already.
fn parse_failure(ty: &str, msg: &str) -> String {
    let msg = match msg.find(" (occurred while parsing") {
        Some(i) => &msg[..i],
        None => msg,
    };
    if let Some(v) = capture("Only integers from {} to {} are accepted.", msg) {
        return format!("forventede et heltal fra {} til {}", v[0], v[1]);
    }
    if msg.is_ascii() {
        // An English message of a built-in scalar: say what is expected instead.
        format!("forventede {}", expected_type(ty))
    } else {
        msg.trim_end_matches('.').to_string()
    }
}

/// Names of the parser's grammar rules, as a person reads them.
fn grammar_rule(rule: &str) -> String {
    match rule.trim() {
        "name" => "et navn".into(),
        "selection_set" | "selection" => "en udvælgelse af felter i { }".into(),
        "value" | "const_value" => "en værdi".into(),
        "variable" => "en variabel ($navn)".into(),
        "argument" | "arguments" => "et argument (navn: værdi)".into(),
        "type_" | "type" | "named_type" => "en type".into(),
        "EOI" => "slutningen af dokumentet".into(),
        "string" => "en tekst i anførselstegn".into(),
        "int" | "float" => "et tal".into(),
        "operation_type" => "query eller mutation".into(),
        "definition" | "executable_definition" => "en operation eller et fragment".into(),
        other => format!("\"{other}\""),
    }
}

/// A syntax error of the parser: " --> line:col ... = expected a, b or c".
fn syntax_error(msg: &str) -> Danish {
    let at = msg
        .split_once("-->")
        .and_then(|(_, r)| r.split_whitespace().next())
        .and_then(|p| p.split_once(':'))
        .map(|(l, c)| format!(" i linje {l}, kolonne {c}"))
        .unwrap_or_default();
    let expected = msg
        .rsplit_once("= expected ")
        .map(|(_, e)| {
            let parts: Vec<String> = e
                .split(", ")
                .flat_map(|p| p.split(" or "))
                .filter(|p| !p.trim().is_empty())
                .map(grammar_rule)
                .collect();
            format!("; forventede {}", parts.join(" eller "))
        })
        .unwrap_or_default();
    Danish {
        code: "GRAPHQL_PARSE_FAILED",
        message: format!("Forespørgslen kan ikke læses: syntaksfejl{at}{expected}."),
        field: None,
    }
}

/// Validation rules with fixed shapes: (pattern, Danish with {0}, {1}, ...).
const RULES: &[(&str, &str)] = &[
    ("Unknown field \"{}\" on type \"{}\".{}", "Feltet \"{0}\" findes ikke på typen {1}.{2}"),
    ("Unknown argument \"{}\" on field \"{}\" of type \"{}\".{}", "Argumentet \"{0}\" findes ikke på feltet \"{1}\" (typen {2}).{3}"),
    ("Unknown argument \"{}\" on directive \"{}\".{}", "Argumentet \"{0}\" findes ikke på direktivet \"{1}\".{2}"),
    ("Field \"{}\" argument \"{}\" of type \"{}\" is required but not provided", "Feltet \"{0}\" mangler argumentet \"{1}\" ({2})."),
    ("Directive \"@{}\" argument \"{}\" of type \"{}\" is required but not provided", "Direktivet \"@{0}\" mangler argumentet \"{1}\" ({2})."),
    ("Field \"{}\" of type \"{}\" must have a selection of subfields", "Feltet \"{0}\" (typen {1}) skal have en udvælgelse af underfelter i { }."),
    ("Field \"{}\" must not have a selection since type \"{}\" has no subfields", "Feltet \"{0}\" kan ikke have underfelter: typen {1} har ingen."),
    ("Unknown type \"{}\"", "Typen \"{0}\" findes ikke i skemaet."),
    ("Variable \"${}\" is not used by operation \"{}\"", "Variablen \"${0}\" bruges ikke af operationen \"{1}\"."),
    ("Variable \"${}\" is not defined by operation \"{}\"", "Variablen \"${0}\" er ikke erklæret i operationen \"{1}\"."),
    ("Variable \"${}\" is not used", "Variablen \"${0}\" bruges ikke."),
    ("Variable \"${}\" is not defined", "Variablen \"${0}\" er ikke erklæret."),
    ("Variable \"{}\" cannot be of non-input type \"{}\"", "Variablen \"{0}\" kan ikke have typen {1}: kun input-typer er tilladt."),
    ("Variable \"{}\" of type \"{}\" used in position expecting type \"{}\"", "Variablen \"{0}\" har typen {1}, men bruges hvor typen {2} forventes."),
    ("There can only be one variable named \"${}\"", "Variablen \"${0}\" er erklæret mere end én gang."),
    ("There can only be one argument named \"{}\"", "Argumentet \"{0}\" er angivet mere end én gang."),
    ("Fragment \"{}\" is never used", "Fragmentet \"{0}\" bruges ikke."),
    ("Unknown fragment: \"{}\"", "Fragmentet \"{0}\" findes ikke."),
    ("Unknown fragment \"{}\"", "Fragmentet \"{0}\" findes ikke."),
    ("Fragment \"{}\" cannot be spread here as objects of type \"{}\" can never be of type \"{}\"", "Fragmentet \"{0}\" kan ikke bruges her: typen {1} kan aldrig være {2}."),
    ("Fragment cannot be spread here as objects of type \"{}\" can never be of type \"{}\"", "Fragmentet kan ikke bruges her: typen {0} kan aldrig være {1}."),
    ("Fragment \"{}\" cannot condition non composite type \"{}\"", "Fragmentet \"{0}\" kan ikke gælde typen {1}, som ikke har felter."),
    ("Fragment cannot condition non composite type \"{}\"", "Fragmentet kan ikke gælde typen {0}, som ikke har felter."),
    ("Fields \"{}\" conflict because \"{}\" and \"{}\" are different fields. Use different aliases on the fields to fetch both if this was intentional.", "Felterne \"{0}\" er i konflikt: \"{1}\" og \"{2}\" er forskellige felter. Brug forskellige aliaser for at hente begge."),
    ("Fields \"{}\" conflict because they have differing arguments. Use different aliases on the fields to fetch both if this was intentional.", "Felterne \"{0}\" er i konflikt, fordi de har forskellige argumenter. Brug forskellige aliaser for at hente begge."),
    ("Unknown directive \"{}\"", "Direktivet \"{0}\" findes ikke."),
    ("Duplicate directive \"{}\"", "Direktivet \"{0}\" er angivet mere end én gang."),
    ("Directive \"{}\" may not be used on \"{}\"", "Direktivet \"{0}\" kan ikke bruges på {1}."),
    ("Schema is not configured for {}s.", "Skemaet understøtter ikke {0}-operationer."),
    ("Schema is not configured for {}.", "Skemaet understøtter ikke {0}-operationer."),
    ("Unknown operation named \"{}\"", "Dokumentet har ingen operation ved navn \"{0}\" (operationName)."),
    ("Operation name required in request.", "Dokumentet har flere operationer: angiv hvilken der skal køres med operationName."),
    ("operation {} is defined twice", "Operationen \"{0}\" er defineret mere end én gang."),
    ("fragment {} is defined twice", "Fragmentet \"{0}\" er defineret mere end én gang."),
    ("document does not contain an operation", "Dokumentet indeholder ingen operation."),
    ("document contains multiple operations", "Dokumentet indeholder flere operationer: angiv hvilken med operationName."),
    ("The Upload type is only allowed to be defined on a mutation", "Upload er kun tilladt i mutationer."),
    ("provided sha does not match query", "persistedQuery.sha256Hash passer ikke til forespørgslen."),
    ("Invalid \"PersistedQuery\" extension configuration.", "extensions.persistedQuery skal være {\"version\": 1, \"sha256Hash\": \"...\"}."),
    ("Only the \"PersistedQuery\" extension of version \"1\" is supported, and the current version is \"{}\".", "Kun persistedQuery version 1 understøttes (fik version {0})."),
];

fn fill(template: &str, values: &[&str]) -> String {
    let mut out = template.to_string();
    for (i, v) in values.iter().enumerate() {
        let v = if v.trim_start().starts_with("Did you mean") {
            suggestion(v)
        } else {
            (*v).to_string()
        };
        out = out.replace(&format!("{{{i}}}"), &v);
    }
    out
}

/// The Danish message and code for one of async-graphql's English messages.
pub fn translate(msg: &str, limits: LimitValues) -> Danish {
    let plain = |code: &'static str, message: String| Danish {
        code,
        message,
        field: None,
    };
    if let Some(v) = capture("Invalid value for argument {}", msg) {
        return invalid_value(v[0]);
    }
    if let Some(v) = capture("Invalid default value for argument: {}", msg) {
        let mut d = invalid_value(v[0]);
        d.code = VALIDATION_FAILED;
        d.message = format!("Standardværdien er ugyldig. {}", d.message);
        return d;
    }
    if let Some(v) = capture("Failed to parse \"{}\": {}", msg) {
        return plain(
            "VALIDATION",
            format!("Ugyldig værdi: {}.", parse_failure(v[0], v[1])),
        );
    }
    if let Some(v) = capture("Expected input type \"{}\", found {}.", msg) {
        return plain(
            "VALIDATION",
            format!("Ugyldig værdi: forventede {}.", expected_type(v[0])),
        );
    }
    if let Some(v) = capture("Variable {} is not defined.", msg) {
        return Danish {
            code: "VALIDATION",
            message: format!("Variablen \"${}\" skal have en værdi i variables.", v[0]),
            field: Some(v[0].to_string()),
        };
    }
    if msg == "Query is nested too deep." {
        return plain(
            "LIMIT_EXCEEDED",
            format!(
                "Forespørgslen er indlejret for dybt; højst {} niveauer af felter er tilladt.",
                limits.max_depth
            ),
        );
    }
    if msg == "Query is too complex." {
        return plain(
            "LIMIT_EXCEEDED",
            format!(
                "Forespørgslen er for kompleks; højst {} point er tilladt (lister tæller med first).",
                limits.max_complexity
            ),
        );
    }
    if msg.starts_with("The recursion depth of the query cannot be greater than")
        || msg == "recursion limit exceeded."
    {
        return plain(
            "LIMIT_EXCEEDED",
            "Forespørgslen er indlejret for dybt.".into(),
        );
    }
    if let Some(v) = capture(
        "The number of directives on the field `{}` cannot be greater than `{}`",
        msg,
    ) {
        return plain(
            "LIMIT_EXCEEDED",
            format!(
                "Feltet \"{}\" har for mange direktiver; højst {} er tilladt.",
                v[0], limits.max_directives
            ),
        );
    }
    if msg.contains(" --> ") || msg.starts_with("-->") {
        return syntax_error(msg);
    }
    // The parser reads a number literal with serde_json: `1e400` or 400 digits do not fit.
    if msg.starts_with("invalid number: ") {
        return plain(
            "GRAPHQL_PARSE_FAILED",
            "Forespørgslen kan ikke læses: et tal er for stort eller har for mange cifre.".into(),
        );
    }
    for (pattern, danish) in RULES {
        if let Some(v) = capture(pattern, msg) {
            return plain(VALIDATION_FAILED, fill(danish, &v));
        }
    }
    plain(
        VALIDATION_FAILED,
        "Forespørgslen er ugyldig (se extensions.detail).".into(),
    )
}

/// Is this message already meant for people (ours, in Danish)?
pub fn is_english(msg: &str) -> bool {
    msg == "Operation name required in request."
        || msg.contains(" --> ")
        || RULES.iter().any(|(p, _)| capture(p, msg).is_some())
        || [
            "Invalid value for argument",
            "Invalid default value",
            "Failed to parse",
            "Variable ",
            "Expected input type",
            "Query is ",
            "The recursion depth",
            "The number of directives",
            "recursion limit",
            "invalid number: ",
        ]
        .iter()
        .any(|p| msg.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: LimitValues = LimitValues {
        max_depth: 16,
        max_complexity: 5000,
        max_directives: 5,
    };

    #[test]
    fn validation_messages_in_danish_naming_the_field() {
        let d = translate(
            "Unknown field \"nav\" on type \"Kommune\". Did you mean \"navn\"?",
            L,
        );
        assert_eq!(
            d.message,
            "Feltet \"nav\" findes ikke på typen Kommune. Mente du \"navn\"?"
        );
        let d = translate("Invalid value for argument \"input.type\", enumeration type \"SlType\" does not contain the value \"FOO\"", L);
        assert_eq!(d.code, "VALIDATION");
        assert_eq!(d.field.as_deref(), Some("input.type"));
        assert!(d
            .message
            .contains("\"FOO\" er ikke en af værdierne i SlType"));
        let d = translate(
            "Invalid value for argument \"dato\", expected type \"Date\"",
            L,
        );
        assert!(d.message.contains("ÅÅÅÅ-MM-DD"), "{}", d.message);
        assert_eq!(
            translate("Operation name required in request.", L).code,
            VALIDATION_FAILED
        );
    }

    #[test]
    fn syntax_errors_name_position_and_expectation() {
        let d = translate(
            " --> 1:11\n  |\n1 | { kommune(\n  |           ^---\n  |\n  = expected name",
            L,
        );
        assert_eq!(d.code, "GRAPHQL_PARSE_FAILED");
        assert_eq!(
            d.message,
            "Forespørgslen kan ikke læses: syntaksfejl i linje 1, kolonne 11; forventede et navn."
        );
    }

    #[test]
    fn number_literals_that_do_not_fit_are_syntax_errors() {
        let d = translate("invalid number: number out of range at line 1 column 5", L);
        assert_eq!(d.code, "GRAPHQL_PARSE_FAILED");
        assert!(d.message.contains("tal"), "{}", d.message);
        assert!(is_english(
            "invalid number: number out of range at line 1 column 5"
        ));
    }

    #[test]
    fn matcher() {
        assert_eq!(capture("a {} b {}", "a x b y"), Some(vec!["x", "y"]));
        assert_eq!(capture("a {} b", "a x b c"), None);
        assert_eq!(
            capture("Unknown type \"{}\"", "Unknown type \"X\""),
            Some(vec!["X"])
        );
    }
}
