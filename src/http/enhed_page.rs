//! The citizen's page of one enhed (issue 21): `/soeg/enhed/<enhedId>?kommune=…` with what the
//! search knows of it, the agreement with the chosen kommune (the type in plain words, its dates,
//! the provider's beskrivelse where R4 shows it), the enhed's own description, contact with
//! `tel:` and `mailto:` links, the distance from a point (`lat`, `lon`) and a link back to the
//! result list with the same search. Rendered on the server from the read model (no SQL, no
//! script): it works without JavaScript and loads at once on a phone.
use super::soeg::{content_security_policy, with_assets};
use super::Http;
use crate::domain::day::{copenhagen_day, parse_date};
use crate::domain::diff::day_in_words;
use crate::domain::geo::{distance_km, LatLon};
use crate::domain::kommune::official_name;
use crate::domain::serviceleverance::{Boligtype, EnhedKind, SlType};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::fmt::Write;

/// Text for HTML (element content and quoted attribute values). Written by hand: five
/// characters, and the page has no other templating to justify an engine.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A query-string value, percent-encoded (for the links back to the list).
fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A description as paragraphs (blank lines part them; line breaks are kept as spaces).
fn paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", esc(&p.replace('\n', " "))))
        .collect()
}

/// A web address as a link target: http(s) only, a bare host made https.
fn web_href(web: &str) -> Option<String> {
    let t = web.trim();
    let lower = t.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        Some(t.to_string())
    } else if !t.is_empty() && !t.contains(':') && !t.contains(' ') {
        Some(format!("https://{t}"))
    } else {
        None
    }
}

fn page(status: StatusCode, title: &str, main: &str) -> Response {
    let html = with_assets(include_str!("../../soeg/enhed.html"))
        .replace("{{TITLE}}", &esc(title))
        .replace("{{MAIN}}", main);
    let mut r = super::page::html_response(html, &content_security_policy());
    *r.status_mut() = status;
    r
}

fn not_found(message: &str) -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Findes ikke",
        &format!(
            "<h1>Enheden findes ikke</h1><p>{}</p><p><a href=\"/soeg\">Til søgningen</a></p>",
            esc(message)
        ),
    )
}

/// `GET /soeg/enhed/{id}`.
pub(super) async fn page_of(
    State(h): State<Http>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let params: HashMap<String, String> = super::graphql::query_pairs(q.as_deref().unwrap_or(""))
        .unwrap_or_default()
        .into_iter()
        .collect();
    let st = &h.state;
    let snap = st.read_model.snapshot();
    let Some(e) = snap.enheder.get(&id).cloned() else {
        return not_found("Vi kender ikke en enhed med den adresse. Søg den frem igen.");
    };
    let day = match params
        .get("dato")
        .filter(|d| !d.is_empty())
        .map(|d| parse_date(d))
    {
        Some(Ok(d)) => d,
        Some(Err(_)) | None => copenhagen_day(st.clock.now()),
    };
    let kommune = params
        .get("kommune")
        .and_then(|k| st.kommuner.resolve(k))
        .map(str::to_string);
    let point = match (params.get("lat"), params.get("lon")) {
        (Some(a), Some(b)) => a
            .parse::<f64>()
            .ok()
            .zip(b.parse::<f64>().ok())
            .and_then(|(a, b)| LatLon::new(a, b)),
        _ => None,
    };
    let kind = EnhedKind::parse(&e.kind);
    let helhedspleje = kind == Some(EnhedKind::Helhedsplejeenhed);
    // The list this page came from: the same search (its parameters as they were).
    let mut back: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| matches!(k.as_str(), "kommune" | "type" | "dato" | "lat" | "lon"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    back.sort();
    if !back.iter().any(|(k, _)| k == "type") {
        back.push((
            "type".into(),
            if helhedspleje {
                "helhedspleje"
            } else {
                "plejebolig"
            }
            .into(),
        ));
    }
    let back_href = format!(
        "/soeg?{}",
        back.iter()
            .map(|(k, v)| format!("{k}={}", enc(v)))
            .collect::<Vec<_>>()
            .join("&")
    );
    let when = if day == copenhagen_day(st.clock.now()) {
        format!("i dag, {}", day_in_words(day))
    } else {
        format!("den {}", day_in_words(day))
    };

    let mut m = String::new();
    let _ = write!(
        m,
        "<nav class=\"crumbs\" aria-label=\"Brødkrumme\"><a href=\"{}\">Tilbage til resultaterne</a></nav>",
        esc(&back_href)
    );
    let what = if helhedspleje {
        "Leverandør af helhedspleje".to_string()
    } else {
        "Plejecenter med plejeboliger".to_string()
    };
    let town = e.by.clone().unwrap_or_default();
    let _ = write!(
        m,
        "<h1>{}</h1><p class=\"lead\">{}{}</p>",
        esc(&e.navn),
        esc(&what),
        if town.is_empty() {
            String::new()
        } else {
            format!(" i {}", esc(&town))
        }
    );

    // The agreement with the chosen kommune.
    if let Some(k) = kommune.as_deref() {
        {
            let name = st.kommuner.navn(k).map(official_name).unwrap_or_default();
            match snap.offer_by(&e.id, k, day) {
                Some(o) => {
                    let t = o.sl.r#type.as_deref().and_then(SlType::parse);
                    let _ = write!(
                        m,
                        "<section class=\"panel\" aria-labelledby=\"aftale\"><h2 id=\"aftale\">Aftalen med {}</h2><dl class=\"facts\">",
                        esc(&name)
                    );
                    if let Some(t) = t {
                        let _ = write!(
                            m,
                            "<dt>Aftale</dt><dd><span class=\"tag\">{}</span> {}</dd>",
                            esc(t.in_words()),
                            esc(t.for_citizens())
                        );
                    }
                    let from =
                        o.sl.startdato
                            .map(day_in_words)
                            .unwrap_or_else(|| "—".into());
                    let to =
                        o.sl.slutdato
                            .map(|d| format!(" til {}", day_in_words(d)))
                            .unwrap_or_else(|| ", uden slutdato".into());
                    let _ = write!(
                        m,
                        "<dt>Gælder</dt><dd>fra {}{}</dd></dl>",
                        esc(&from),
                        esc(&to)
                    );
                    if let Some(b) = o.beskrivelse.as_deref().filter(|b| !b.trim().is_empty()) {
                        let _ = write!(
                            m,
                            "<h3>Leverandørens beskrivelse af aftalen</h3><div class=\"beskrivelse\">{}</div>",
                            paragraphs(b)
                        );
                    }
                    if helhedspleje {
                        let _ = write!(
                            m,
                            "<p class=\"note\">Du har frit valg mellem kommunens leverandører af helhedspleje (ældreloven § 18). <a href=\"/soeg?kommune={}&amp;type=helhedspleje\">Se alle leverandørerne i {}</a>.</p>",
                            enc(k),
                            esc(&name)
                        );
                    }
                    m.push_str("</section>");
                }
                None => {
                    let others: Vec<String> = snap
                        .offered_by(&e.id, day)
                        .iter()
                        .filter_map(|k| st.kommuner.navn(k).map(|n| (k.clone(), n.to_string())))
                        .map(|(k, n)| {
                            format!(
                                "<a href=\"/soeg/enhed/{}?kommune={}\">{}</a>",
                                enc(&e.id),
                                enc(&k),
                                esc(&official_name(&n))
                            )
                        })
                        .collect();
                    let _ = write!(
                        m,
                        "<p class=\"alert-static\" id=\"ikke-tilbudt\">{} tilbyder ikke {} {}.{}</p>",
                        esc(&name),
                        esc(&e.navn),
                        esc(&when),
                        if others.is_empty() {
                            String::new()
                        } else {
                            format!(" Den tilbydes af {}.", others.join(", "))
                        }
                    );
                }
            }
        }
    }

    // The enhed itself.
    m.push_str("<section class=\"panel\" aria-labelledby=\"om\"><h2 id=\"om\">Om enheden</h2><dl class=\"facts\">");
    let address = [
        e.vejnavn.clone(),
        match (e.postnummer.as_deref(), e.by.as_deref()) {
            (Some(p), Some(b)) => Some(format!("{p} {b}")),
            (None, Some(b)) => Some(b.to_string()),
            (Some(p), None) => Some(p.to_string()),
            (None, None) => None,
        },
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    let _ = write!(
        m,
        "<dt>Adresse</dt><dd>{}</dd>",
        if address.is_empty() {
            "Ikke oplyst".to_string()
        } else {
            esc(&address)
        }
    );
    if let Some(n) = e.kommune_kode.as_deref().and_then(|k| st.kommuner.navn(k)) {
        let _ = write!(m, "<dt>Ligger i</dt><dd>{}</dd>", esc(&official_name(n)));
    }
    if let (Some(p), Some((lat, lon))) = (point, e.lat.zip(e.lon)) {
        if let Some(here) = LatLon::new(lat, lon) {
            let km = distance_km(p, here);
            let _ = write!(
                m,
                "<dt>Afstand</dt><dd id=\"afstand\">{} km fra punktet</dd>",
                format!("{km:.1}").replace('.', ",")
            );
        }
    }
    if !helhedspleje {
        let parts: Vec<String> = [
            e.boligtype
                .as_deref()
                .and_then(Boligtype::parse)
                .and_then(|b| crate::domain::diff::code_in_words(b.as_str()))
                .map(str::to_string),
            e.antal_boliger.map(|n| format!("{n} boliger")),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !parts.is_empty() {
            let _ = write!(m, "<dt>Boliger</dt><dd>{}</dd>", esc(&parts.join(", ")));
        }
    }
    m.push_str("</dl>");
    if let Some(b) = e.beskrivelse.as_deref().filter(|b| !b.trim().is_empty()) {
        let _ = write!(
            m,
            "<h3>Enhedens egen beskrivelse</h3><div class=\"beskrivelse\">{}</div>",
            paragraphs(b)
        );
    }
    m.push_str("</section>");

    // Contact.
    let mut contact = Vec::new();
    if let Some(t) = e.telefon.as_deref().filter(|t| !t.trim().is_empty()) {
        let digits: String = t
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect();
        contact.push(format!(
            "<dt>Telefon</dt><dd><a href=\"tel:{}\">{}</a></dd>",
            esc(&digits),
            esc(t)
        ));
    }
    if let Some(mail) = e.email.as_deref().filter(|m| m.contains('@')) {
        contact.push(format!(
            "<dt>E-mail</dt><dd><a href=\"mailto:{}\">{}</a></dd>",
            esc(mail),
            esc(mail)
        ));
    }
    if let Some(href) = e.web.as_deref().and_then(web_href) {
        let shown = href
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_start_matches("www.")
            .trim_end_matches('/')
            .to_string();
        contact.push(format!(
            "<dt>Hjemmeside</dt><dd><a href=\"{}\" rel=\"noopener noreferrer\">{}</a></dd>",
            esc(&href),
            esc(&shown)
        ));
    }
    if !contact.is_empty() {
        let _ = write!(
            m,
            "<section class=\"panel\" aria-labelledby=\"kontakt\"><h2 id=\"kontakt\">Kontakt</h2><dl class=\"facts\">{}</dl></section>",
            contact.concat()
        );
    }
    let _ = write!(
        m,
        "<p><a href=\"{}\">Tilbage til resultaterne</a></p>",
        esc(&back_href)
    );
    page(StatusCode::OK, &e.navn, &m).into_response()
}
