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
pub(super) fn esc(s: &str) -> String {
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
pub(super) fn paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", esc(&p.replace('\n', " "))))
        .collect()
}

type EnhedRow = crate::store::enhed::Enhed;

/// "Egevej 1, 8000 Aarhus C"; empty when unknown.
fn address(e: &EnhedRow) -> String {
    let town = match (e.postnummer.as_deref(), e.by.as_deref()) {
        (Some(p), Some(b)) => Some(format!("{p} {b}")),
        (None, Some(b)) => Some(b.to_string()),
        (Some(p), None) => Some(p.to_string()),
        (None, None) => None,
    };
    [e.vejnavn.clone(), town]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ")
}

/// "Plejebolig, 40 boliger" for a plejeenhed; None when nothing is known.
fn boliger(e: &EnhedRow) -> Option<String> {
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
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// "1,1 km" from the point, when both are known.
fn distance(point: Option<LatLon>, e: &EnhedRow) -> Option<String> {
    let here = e.lat.zip(e.lon).and_then(|(a, b)| LatLon::new(a, b))?;
    let km = distance_km(point?, here);
    Some(format!("{km:.1} km").replace('.', ","))
}

/// The agreement's type in words with what it means to a citizen, as HTML.
fn type_html(t: Option<SlType>) -> String {
    t.map_or_else(
        || "Ikke oplyst".to_string(),
        |t| {
            format!(
                "<span class=\"tag\">{}</span> {}",
                esc(t.in_words()),
                esc(t.for_citizens())
            )
        },
    )
}

/// "fra 1. januar 2020 til 31. december 2030" (or ", uden slutdato").
fn period(sl: &crate::store::serviceleverance::Serviceleverance) -> String {
    let from = sl.startdato.map(day_in_words).unwrap_or_else(|| "—".into());
    let to = sl
        .slutdato
        .map(|d| format!(" til {}", day_in_words(d)))
        .unwrap_or_else(|| ", uden slutdato".into());
    format!("fra {from}{to}")
}

/// A `tel:` link of the enhed's phone number, when it has one.
fn phone_link(e: &EnhedRow) -> Option<String> {
    let t = e.telefon.as_deref().filter(|t| !t.trim().is_empty())?;
    let digits: String = t
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    Some(format!("<a href=\"tel:{}\">{}</a>", esc(&digits), esc(t)))
}

/// A point given as `lat` and `lon`.
fn point_of(params: &HashMap<String, String>) -> Option<LatLon> {
    let a = params.get("lat")?.parse::<f64>().ok()?;
    let b = params.get("lon")?.parse::<f64>().ok()?;
    LatLon::new(a, b)
}

/// The search a page came from (kommune, type, day, point or place, the filters), for the links
/// back to it and on.
fn search_of(params: &HashMap<String, String>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| {
            matches!(
                k.as_str(),
                "kommune"
                    | "type"
                    | "dato"
                    | "lat"
                    | "lon"
                    | "sted"
                    | "demens"
                    | "par"
                    | "dyr"
                    | "udenpaabud"
                    | "husleje"
            )
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    v.sort();
    v
}

/// Pairs as a query string.
fn query_string(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The kommune asked for (`kommune`, a kode or a name), as its kode.
fn kommune_of(params: &HashMap<String, String>, h: &Http) -> Option<String> {
    params
        .get("kommune")
        .and_then(|k| h.state.kommuner.resolve(k))
        .map(str::to_string)
}

/// "i dag, 6. december 2026" or "den 1. januar 2027".
fn when(day: chrono::NaiveDate, h: &Http) -> String {
    if day == copenhagen_day(h.state.clock.now()) {
        format!("i dag, {}", day_in_words(day))
    } else {
        format!("den {}", day_in_words(day))
    }
}

/// The day asked for (`dato`), or today in Copenhagen.
fn day_of(params: &HashMap<String, String>, h: &Http) -> chrono::NaiveDate {
    match params
        .get("dato")
        .filter(|d| !d.is_empty())
        .map(|d| parse_date(d))
    {
        Some(Ok(d)) => d,
        _ => copenhagen_day(h.state.clock.now()),
    }
}

/// A citizen page: the shared frame of `soeg/side.html` (header, footer with the
/// accessibility statement, the search page's style) around `main`.
pub(super) fn page(status: StatusCode, title: &str, main: &str) -> Response {
    let html = with_assets(include_str!("../../soeg/side.html"))
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
    let day = day_of(&params, &h);
    let kommune = kommune_of(&params, &h);
    let point = point_of(&params);
    let kind = EnhedKind::parse(&e.kind);
    let helhedspleje = kind == Some(EnhedKind::Helhedsplejeenhed);
    // The list this page came from: the same search (its parameters as they were).
    let mut back = search_of(&params);
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
    let back_href = format!("/soeg?{}", query_string(&back));
    let when = when(day, &h);

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

    m.push_str(&super::enhed_profil::photos(&e));
    // A påbud or forbud in force is said at the top, not only in its section (R32).
    let tilsyn = snap.tilsyn.get(&e.id).cloned();
    if tilsyn.as_ref().is_some_and(|t| t.sanktioned_on(day)) {
        m.push_str("<p class=\"alert-static\" id=\"sanktion-note\">Ældretilsynet har givet et påbud eller forbud, som gælder nu. <a href=\"#tilsyn\">Læs om det under Ældretilsynet</a>.</p>");
    }

    // The agreement with the chosen kommune.
    if let Some(k) = kommune.as_deref() {
        let name = st.kommuner.navn(k).map(official_name).unwrap_or_default();
        match snap.offer_by(&e.id, k, day) {
            Some(o) => {
                let t = o.sl.r#type.as_deref().and_then(SlType::parse);
                let _ = write!(
                    m,
                    "<section class=\"panel\" aria-labelledby=\"aftale\"><h2 id=\"aftale\">Aftalen med {}</h2><dl class=\"facts\"><dt>Aftale</dt><dd>{}</dd><dt>Gælder</dt><dd>{}</dd></dl>",
                    esc(&name),
                    type_html(t),
                    esc(&period(&o.sl))
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

    // The enhed itself.
    m.push_str("<section class=\"panel\" aria-labelledby=\"om\"><h2 id=\"om\">Om enheden</h2><dl class=\"facts\">");
    let address = address(&e);
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
    if let Some(d) = distance(point, &e) {
        let _ = write!(
            m,
            "<dt>Afstand</dt><dd id=\"afstand\">{} fra punktet</dd>",
            esc(&d)
        );
    }
    if let Some(b) = boliger(&e).filter(|_| !helhedspleje) {
        let _ = write!(m, "<dt>Boliger</dt><dd>{}</dd>", esc(&b));
    }
    m.push_str("</dl>");
    if let Some(b) = e.beskrivelse.as_deref().filter(|b| !b.trim().is_empty()) {
        let _ = write!(
            m,
            "<h3>Enhedens egen beskrivelse</h3><div class=\"beskrivelse\">{}</div>",
            paragraphs(b)
        );
    }
    let facts = super::enhed_profil::facts(&e);
    if !facts.is_empty() {
        let title = if helhedspleje {
            "Ydelser og område"
        } else {
            "Bolig, pris og hverdag"
        };
        let _ = write!(
            m,
            "<h3>{title}</h3><dl class=\"facts\" id=\"profil\">{}</dl>",
            facts
                .iter()
                .map(|(l, v)| format!("<dt>{}</dt><dd>{v}</dd>", esc(l)))
                .collect::<String>()
        );
    }
    m.push_str("</section>");
    m.push_str(&super::enhed_profil::tilsyn_section(tilsyn.as_deref(), day));

    // Contact.
    let mut contact = Vec::new();
    if let Some(link) = phone_link(&e) {
        contact.push(format!("<dt>Telefon</dt><dd>{link}</dd>"));
    }
    if let Some(mail) = e.email.as_deref().filter(|m| m.contains('@')) {
        contact.push(format!(
            "<dt>E-mail</dt><dd><a href=\"mailto:{}\">{}</a></dd>",
            esc(mail),
            esc(mail)
        ));
    }
    // The same rule as when the address is saved (http(s) only, a bare host made https), for
    // rows saved before it.
    if let Some(href) = crate::domain::enhed::validate_web(e.web.as_deref())
        .ok()
        .flatten()
    {
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

/// At most this many enheder side by side (more does not fit a phone or a printed page).
const COMPARE_MAX: usize = 3;

/// `GET /soeg/sammenlign?kommune=…&enhed=a&enhed=b[&enhed=c]` (issue 21): up to three enheder
/// side by side for one kommune, row by row (agreement, period, address, distance, boliger,
/// telephone, description); the address is the state, so the comparison can be linked and
/// printed, and on a phone the columns stack.
pub(super) async fn compare(State(h): State<Http>, RawQuery(q): RawQuery) -> Response {
    let pairs = super::graphql::query_pairs(q.as_deref().unwrap_or("")).unwrap_or_default();
    let params: HashMap<String, String> = pairs.iter().cloned().collect();
    let ids: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "enhed")
        .map(|(_, v)| v.clone())
        .collect();
    let st = &h.state;
    let snap = st.read_model.snapshot();
    let day = day_of(&params, &h);
    let point = point_of(&params);
    let kommune = kommune_of(&params, &h);
    let back = search_of(&params);
    let back_href = format!("/soeg?{}", query_string(&back));
    let enheder: Vec<EnhedRow> = ids
        .iter()
        .take(COMPARE_MAX)
        .filter_map(|id| snap.enheder.get(id).map(|e| (**e).clone()))
        .collect();
    let mut m = String::new();
    let _ = write!(
        m,
        "<nav class=\"crumbs\" aria-label=\"Brødkrumme\"><a href=\"{}\">Tilbage til resultaterne</a></nav><h1>Sammenlign</h1>",
        esc(&back_href)
    );
    if ids.len() > COMPARE_MAX {
        let _ = write!(
            m,
            "<p class=\"alert-static\">Du kan sammenligne højst {COMPARE_MAX} ad gangen; de første {COMPARE_MAX} vises.</p>"
        );
    }
    if enheder.len() < 2 {
        m.push_str("<p class=\"alert-static\">Vælg to eller tre enheder i søgningen for at sammenligne dem.</p>");
        return page(StatusCode::OK, "Sammenlign", &m);
    }
    let kommune_name = kommune
        .as_deref()
        .and_then(|k| st.kommuner.navn(k))
        .map(official_name);
    if let Some(n) = &kommune_name {
        let _ = write!(
            m,
            "<p class=\"lead\">Tilbud i {} {}.</p>",
            esc(n),
            esc(&when(day, &h))
        );
    }
    // One column per enhed; each row a property. A table (with a header per column) reads
    // right with a screen reader; the style sheet stacks it on a phone.
    let offers: Vec<_> = enheder
        .iter()
        .map(|e| {
            kommune
                .as_deref()
                .and_then(|k| snap.offer_by(&e.id, k, day))
        })
        .collect();
    let none = || "<span class=\"note\">Ikke oplyst</span>".to_string();
    let mut rows: Vec<(&str, Vec<String>)> = vec![
        (
            "Aftale",
            offers
                .iter()
                .map(|o| match o {
                    Some(o) => type_html(o.sl.r#type.as_deref().and_then(SlType::parse)),
                    None => format!(
                        "<span class=\"note\">Tilbydes ikke af {}</span>",
                        esc(kommune_name.as_deref().unwrap_or("kommunen"))
                    ),
                })
                .collect(),
        ),
        (
            "Gælder",
            offers
                .iter()
                .map(|o| o.as_ref().map_or_else(none, |o| esc(&period(&o.sl))))
                .collect(),
        ),
        (
            "Adresse",
            enheder
                .iter()
                .map(|e| {
                    Some(address(e))
                        .filter(|a| !a.is_empty())
                        .map_or_else(none, |a| esc(&a))
                })
                .collect(),
        ),
    ];
    if point.is_some() {
        rows.push((
            "Afstand",
            enheder
                .iter()
                .map(|e| distance(point, e).map_or_else(none, |d| esc(&d)))
                .collect(),
        ));
    }
    rows.push((
        "Boliger",
        enheder
            .iter()
            .map(|e| boliger(e).map_or_else(none, |b| esc(&b)))
            .collect(),
    ));
    // R31: the profile's facts, a row each that any of them states.
    let facts: Vec<Vec<(&str, String)>> = enheder.iter().map(super::enhed_profil::facts).collect();
    let mut labels: Vec<&str> = Vec::new();
    for f in &facts {
        for (l, _) in f {
            if !labels.contains(l) {
                labels.push(l);
            }
        }
    }
    for l in labels {
        rows.push((
            l,
            facts
                .iter()
                .map(|f| {
                    f.iter()
                        .find(|(x, _)| *x == l)
                        .map_or_else(none, |(_, v)| v.clone())
                })
                .collect(),
        ));
    }
    // R32: the latest tilsyn and what is in force.
    let tilsyn: Vec<(String, String)> = enheder
        .iter()
        .map(|e| super::enhed_profil::tilsyn_cells(snap.tilsyn.get(&e.id).map(|t| &**t), day))
        .collect();
    rows.push((
        "Seneste tilsyn",
        tilsyn.iter().map(|t| t.0.clone()).collect(),
    ));
    rows.push((
        "Påbud eller forbud",
        tilsyn.iter().map(|t| t.1.clone()).collect(),
    ));
    rows.push((
        "Telefon",
        enheder
            .iter()
            .map(|e| phone_link(e).unwrap_or_else(none))
            .collect(),
    ));
    rows.push((
        "Beskrivelse",
        enheder
            .iter()
            .map(|e| {
                e.beskrivelse
                    .as_deref()
                    .filter(|b| !b.trim().is_empty())
                    .map_or_else(none, paragraphs)
            })
            .collect(),
    ));
    let links: Vec<String> = enheder
        .iter()
        .map(|e| {
            let q = query_string(&back);
            format!(
                "<a href=\"/soeg/enhed/{}?{}\">{}</a>",
                enc(&e.id),
                esc(&q),
                esc(&e.navn)
            )
        })
        .collect();
    // Side by side: a table, one column per enhed (a screen reader reads each cell with its
    // row and column). On a phone (and in print on narrow paper) the same as one card per
    // enhed; only one of the two is displayed at a time.
    m.push_str("<div class=\"compare-wrap\"><table class=\"compare\"><caption class=\"visually-hidden\">Enhederne side om side</caption><thead><tr><td></td>");
    for l in &links {
        let _ = write!(m, "<th scope=\"col\">{l}</th>");
    }
    m.push_str("</tr></thead><tbody>");
    for (label, cells) in &rows {
        let _ = write!(m, "<tr><th scope=\"row\">{}</th>", esc(label));
        for c in cells {
            let _ = write!(m, "<td>{c}</td>");
        }
        m.push_str("</tr>");
    }
    m.push_str("</tbody></table></div><div class=\"compare-cards\">");
    for (i, l) in links.iter().enumerate() {
        let _ = write!(
            m,
            "<section class=\"panel\"><h2>{l}</h2><dl class=\"facts\">"
        );
        for (label, cells) in &rows {
            let _ = write!(
                m,
                "<dt>{}</dt><dd>{}</dd>",
                esc(label),
                cells.get(i).map_or("", String::as_str)
            );
        }
        m.push_str("</dl></section>");
    }
    m.push_str("</div>");
    let _ = write!(
        m,
        "<p><a href=\"{}\">Tilbage til resultaterne</a></p>",
        esc(&back_href)
    );
    let title = enheder
        .iter()
        .map(|e| e.navn.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    page(StatusCode::OK, &format!("Sammenlign {title}"), &m)
}
