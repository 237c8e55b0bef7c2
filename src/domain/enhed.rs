//! Enheder: the contact data of R17 (telefon, e-mail, web). One place for the rules, used by
//! the admin and redaktør edits (`updateEnhed`, `createEnhed`) and by the CSV import.
//!
//! The web address is shown to citizens as a link, so only absolute `http`/`https` addresses
//! with a host are stored: no `javascript:`, `data:`, relative or other schemes. The checks
//! are pragmatic, not a full URL or RFC 5322 parser.
use super::serviceleverance::FieldError;

/// The longest web address stored (the register's longest is 176 characters).
pub const WEB_MAX: usize = 500;
/// The longest e-mail address (RFC 5321's path limit).
pub const EMAIL_MAX: usize = 254;
/// The digits a phone number must have: 8 (a Danish number without +45) up to 15 (E.164's
/// maximum for an international number with its country code).
pub const TELEFON_MIN_DIGITS: usize = 8;
pub const TELEFON_MAX_DIGITS: usize = 15;

// The field is labelled "Hjemmeside" wherever people see it.
const WEB_MESSAGE: &str =
    "Hjemmeside skal være en http- eller https-adresse, fx https://eksempel.dk.";
const EMAIL_MESSAGE: &str = "E-mail skal være en gyldig e-mailadresse, fx post@eksempel.dk.";

/// Trims; empty becomes `None`.
/// R17: a CVR number is 8 digits (an enhed's owner, a kommune, a token's organisation).
pub fn is_cvr(s: &str) -> bool {
    s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit())
}

/// R17: a postnummer is 4 digits.
pub fn is_postnummer(s: &str) -> bool {
    s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit())
}

/// R17: an enhed belongs to the kommune its position lies in; without a position, to the one
/// it was given (by an administrator, or the register's).
pub fn kommune_of(
    kommuner: &super::kommune::KommuneIndex,
    pos: Option<super::geo::LatLon>,
    given: Option<String>,
) -> Option<String> {
    pos.and_then(|p| kommuner.at(p))
        .map(str::to_string)
        .or(given)
}

fn present(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|t| !t.is_empty())
}

/// A host name: dot-separated labels of letters (also non-ASCII, e.g. æøå), digits and inner
/// hyphens, at least two labels, the last not only digits.
fn is_domain(host: &str) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    labels.len() >= 2
        && host.chars().count() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.chars().count() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.chars().count() >= 2 && !tld.chars().all(|c| c.is_ascii_digit()))
}

/// An IPv4 address as a host (four numbers 0-255).
fn is_ipv4(host: &str) -> bool {
    let parts: Vec<&str> = host.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 3
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u16>().is_ok_and(|n| n <= 255)
        })
}

/// Characters that never belong in a web address and could break out of an HTML attribute.
fn bad_url_char(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(c, '"' | '<' | '>' | '\\' | '^' | '`' | '{' | '|' | '}')
}

/// R17 web: an absolute `http` or `https` address with a host (a domain name or IPv4 address,
/// optionally a port), without user info, spaces or control characters, at most `WEB_MAX`
/// characters. Empty becomes `None`; the trimmed address is returned as given.
/// Does the text start with a host name with a dot and no scheme ("eksempel.dk/sti")?
fn bare_host(t: &str) -> bool {
    let host = t.split(['/', '?', '#']).next().unwrap_or("");
    !host.is_empty()
        && host.contains('.')
        && !host.starts_with('.')
        && host
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
}

pub fn validate_web(v: Option<&str>) -> Result<Option<String>, FieldError> {
    let Some(t) = present(v) else {
        return Ok(None);
    };
    if t.chars().count() > WEB_MAX {
        return Err(FieldError::new(
            "web",
            format!("Hjemmeside må højst være {WEB_MAX} tegn."),
        ));
    }
    let invalid = || FieldError::new("web", WEB_MESSAGE);
    if t.chars().any(bad_url_char) {
        return Err(invalid());
    }
    // A bare host as people write it ("solstrejf.dk", "www.solstrejf.dk/om") is taken as
    // https; anything else without http(s) (another scheme, a relative path) is refused.
    let owned;
    let t = if bare_host(t) {
        owned = format!("https://{t}");
        owned.as_str()
    } else {
        t
    };
    let lower = t.to_ascii_lowercase();
    let scheme_len = if lower.starts_with("https://") {
        8
    } else if lower.starts_with("http://") {
        7
    } else {
        return Err(invalid());
    };
    let rest = &t[scheme_len..];
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err(invalid());
    }
    let host = match authority.rsplit_once(':') {
        Some((h, port)) => {
            if port.is_empty()
                || port.len() > 5
                || !port.bytes().all(|b| b.is_ascii_digit())
                || port.parse::<u32>().is_ok_and(|p| p == 0 || p > 65_535)
            {
                return Err(invalid());
            }
            h
        }
        None => authority,
    };
    if !(is_domain(host) || is_ipv4(host)) {
        return Err(invalid());
    }
    Ok(Some(t.to_string()))
}

/// R17 e-mail: `local@domain` with exactly one `@`, a local part of at most 64 visible
/// characters (no spaces, quotes or brackets) not starting or ending with a dot, and a domain
/// of dot-separated labels. At most `EMAIL_MAX` characters. Empty becomes `None`.
pub fn validate_email(v: Option<&str>) -> Result<Option<String>, FieldError> {
    let Some(t) = present(v) else {
        return Ok(None);
    };
    let invalid = || FieldError::new("email", EMAIL_MESSAGE);
    if t.chars().count() > EMAIL_MAX {
        return Err(FieldError::new(
            "email",
            format!("E-mail må højst være {EMAIL_MAX} tegn."),
        ));
    }
    let Some((local, domain)) = t.split_once('@') else {
        return Err(invalid());
    };
    let local_ok = !local.is_empty()
        && local.chars().count() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && !local.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(
                    c,
                    '@' | '"' | '(' | ')' | ',' | ':' | ';' | '<' | '>' | '[' | ']' | '\\'
                )
        });
    if !local_ok || !is_domain(domain) {
        return Err(invalid());
    }
    Ok(Some(t.to_string()))
}

/// R17 telefon: digits and spaces with an optional leading `+`, and between
/// `TELEFON_MIN_DIGITS` (a Danish number, "12 34 56 78") and `TELEFON_MAX_DIGITS` digits
/// (E.164, "+44 20 7946 0958"). Empty becomes `None`; the trimmed number is returned as given.
pub fn validate_telefon(v: Option<&str>) -> Result<Option<String>, FieldError> {
    let Some(t) = present(v) else {
        return Ok(None);
    };
    let body = t.strip_prefix('+').unwrap_or(t);
    let digits = body.chars().filter(char::is_ascii_digit).count();
    let only_digits_and_spaces = body.chars().all(|c| c.is_ascii_digit() || c == ' ');
    if !only_digits_and_spaces || !(TELEFON_MIN_DIGITS..=TELEFON_MAX_DIGITS).contains(&digits) {
        return Err(FieldError::new(
            "telefon",
            format!(
                "Telefon skal have {TELEFON_MIN_DIGITS}-{TELEFON_MAX_DIGITS} cifre og må kun indeholde cifre, mellemrum og et + forrest, fx +45 12 34 56 78."
            ),
        ));
    }
    Ok(Some(t.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r17_cvr_postnummer_and_the_kommune_of_a_position() {
        assert!(is_cvr("29189404"));
        assert!(!is_cvr("2918940") && !is_cvr("2918940x") && !is_cvr("291894040"));
        assert!(is_postnummer("4000"));
        assert!(!is_postnummer("400") && !is_postnummer("4000 Roskilde") && !is_postnummer("40a0"));
        let idx = crate::app::kommune_index().expect("index");
        let roskilde = crate::domain::geo::LatLon::new(55.64, 12.08);
        // The position decides; without one, the kommune given.
        assert_eq!(
            kommune_of(&idx, roskilde, Some("0751".into())).as_deref(),
            Some("0265")
        );
        assert_eq!(
            kommune_of(&idx, None, Some("0751".into())).as_deref(),
            Some("0751")
        );
        assert_eq!(kommune_of(&idx, None, None), None);
    }

    #[test]
    fn r17_web_only_absolute_http_and_https() {
        for ok in [
            "https://eksempel.dk",
            "http://eksempel.dk/",
            "HTTPS://Eksempel.DK/sti?a=1&b=2#top",
            "https://www.ældrecenter.dk/plejebolig",
            "https://plejebolig.albertslund.dk:8443/x",
            "http://192.168.1.10/",
            "  https://eksempel.dk/  ",
        ] {
            assert!(validate_web(Some(ok)).is_ok_and(|w| w.is_some()), "{ok}");
        }
        assert_eq!(
            validate_web(Some("  https://eksempel.dk/  ")),
            Ok(Some("https://eksempel.dk/".into()))
        );
        assert_eq!(validate_web(Some("   ")), Ok(None));
        // Issue 20: a bare host as people write it becomes https.
        for (bare, full) in [
            ("solstrejf.dk", "https://solstrejf.dk"),
            ("www.eksempel.dk/om-os", "https://www.eksempel.dk/om-os"),
        ] {
            assert_eq!(
                validate_web(Some(bare)),
                Ok(Some(full.to_string())),
                "{bare}"
            );
        }
        assert_eq!(validate_web(None), Ok(None));
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "/relativ/sti",
            "ftp://eksempel.dk",
            "mailto:post@eksempel.dk",
            ".eksempel.dk",
            "https://",
            "https:///sitecore/media library/Centers",
            "https://eksempel dk",
            "https://eksempel.dk/med mellemrum",
            "https://eksempel.dk/\u{0}",
            "https://bank.dk@ond.dk/",
            "https://localhost/",
            "https://eksempel.dk:99999/",
            "https://eksempel.dk/\"onmouseover=\"alert(1)",
            "https://-eksempel.dk",
            "https://eksempel..dk",
        ] {
            let e = validate_web(Some(bad)).expect_err(bad);
            assert_eq!(e.field, "web", "{bad}");
        }
        let long = format!("https://eksempel.dk/{}", "a".repeat(WEB_MAX));
        assert!(validate_web(Some(&long)).is_err());
    }

    #[test]
    fn r17_email_is_a_pragmatic_address() {
        for ok in [
            "post@eksempel.dk",
            "fornavn.efternavn+pleje@kommune.dk",
            "demo@example.invalid",
            "info@ældrecenter.dk",
        ] {
            assert_eq!(validate_email(Some(ok)), Ok(Some(ok.to_string())), "{ok}");
        }
        assert_eq!(validate_email(Some("")), Ok(None));
        for bad in [
            "ikke-en-mail",
            "@eksempel.dk",
            "post@",
            "post@eksempel",
            "post@@eksempel.dk",
            "post@eks@empel.dk",
            "po st@eksempel.dk",
            "post@eksempel .dk",
            "post@.eksempel.dk",
            "post@eksempel..dk",
            ".post@eksempel.dk",
            "po..st@eksempel.dk",
            "<script>@eksempel.dk",
            "post@eksempel.d",
            "post@1.2.3.4",
        ] {
            let e = validate_email(Some(bad)).expect_err(bad);
            assert_eq!(e.field, "email", "{bad}");
        }
    }

    #[test]
    fn r17_telefon_digits_spaces_and_leading_plus() {
        for ok in [
            "12345678",
            "12 34 56 78",
            "+45 12 34 56 78",
            "+4512345678",
            "+44 20 7946 0958",
            "+1 212 555 0100",
        ] {
            assert_eq!(validate_telefon(Some(ok)), Ok(Some(ok.to_string())), "{ok}");
        }
        assert_eq!(validate_telefon(Some(" ")), Ok(None));
        for bad in [
            "ring til os",
            "1234567",
            "12-34-56-78",
            "(45) 12345678",
            "45+12345678",
            "++4512345678",
            "+45 1234 5678 ext 12",
            "1234567890123456",
            "javascript:alert(1)",
        ] {
            let e = validate_telefon(Some(bad)).expect_err(bad);
            assert_eq!(e.field, "telefon", "{bad}");
        }
    }
}
