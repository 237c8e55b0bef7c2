//! What the citizen pages show of an enhed's profile (R31), photos and tilsyn (R32), as HTML:
//! one place for the words, used by the details page and the comparison.
use super::enhed_page::esc;
use crate::domain::diff::day_in_words;
use crate::domain::profil::{self, kroner, Profil};
use crate::domain::serviceleverance::EnhedKind;
use crate::domain::tilsyn::SanktionKind;
use crate::readmodel::TilsynInfo;
use crate::store::enhed::Enhed;
use chrono::NaiveDate;
use std::fmt::Write;

fn yes_no(b: bool) -> &'static str {
    if b {
        "Ja"
    } else {
        "Nej"
    }
}

/// The profile's facts as (label, HTML), in the order a citizen reads them; only what is
/// stated, and only the enhed's kind's.
pub fn facts(e: &Enhed) -> Vec<(&'static str, String)> {
    let p: &Profil = &e.profil;
    let mut v: Vec<(&'static str, String)> = Vec::new();
    if EnhedKind::parse(&e.kind) == Some(EnhedKind::Helhedsplejeenhed) {
        if let Some(y) = p.ydelser.as_ref().filter(|y| !y.is_empty()) {
            let items: String = y
                .iter()
                .map(|y| format!("<li>{}</li>", esc(y.in_words())))
                .collect();
            v.push(("Ydelser", format!("<ul class=\"plain\">{items}</ul>")));
        }
        if let Some(d) = p.kan_levere_fra {
            v.push(("Kan levere fra", esc(&day_in_words(d))));
        }
        if let Some(o) = p.omraader.as_ref().filter(|o| !o.is_empty()) {
            v.push(("Områder", esc(&o.join(", "))));
        }
        return v;
    }
    if let Some(h) = profil::husleje_in_words(p) {
        v.push(("Husleje", esc(&h)));
    }
    if let Some(i) = p.indskud {
        v.push(("Indskud", format!("{} kr.", kroner(i))));
    }
    if let Some(n) = p.parboliger {
        v.push((
            "Boliger til par",
            if n == 0 {
                "Ingen".to_string()
            } else {
                format!("{n}")
            },
        ));
    }
    if let Some(d) = p.demens {
        v.push(("Demens", esc(d.in_words())));
    }
    if let Some(m) = p.mad_paa_stedet {
        v.push(("Mad lavet på stedet", yes_no(m).to_string()));
    }
    if let Some(d) = p.dyr {
        v.push(("Dyr", esc(d.in_words())));
    }
    if let Some(t) = p.traening {
        v.push(("Træningsfaciliteter", yes_no(t).to_string()));
    }
    if let Some(f) = p.faciliteter.as_ref().filter(|f| !f.is_empty()) {
        let items: String = f
            .iter()
            .map(|f| format!("<li>{}</li>", esc(f.in_words())))
            .collect();
        v.push(("Faciliteter", format!("<ul class=\"plain\">{items}</ul>")));
    }
    v
}

/// The photos as a gallery, with their alt texts and sizes (no layout shift), loaded lazily.
pub fn photos(e: &Enhed) -> String {
    if e.profil.fotos.is_empty() {
        return String::new();
    }
    let mut m = String::from("<ul class=\"fotos\" aria-label=\"Billeder\">");
    for f in &e.profil.fotos {
        let _ = write!(
            m,
            "<li><img src=\"{}\" alt=\"{}\" width=\"{}\" height=\"{}\" loading=\"lazy\" decoding=\"async\"></li>",
            esc(&profil::foto_path(&e.id, &f.hash)),
            esc(&f.alt),
            f.bredde,
            f.hoejde
        );
    }
    m.push_str("</ul>");
    m
}

/// The påbud and forbud in force on the day, as a warning that says what it is in words.
fn in_force_html(t: &TilsynInfo, day: NaiveDate) -> Option<String> {
    let items: Vec<String> = t
        .in_force(day)
        .map(|s| {
            let kind = SanktionKind::parse(&s.kind).map_or("Påbud eller forbud", |k| k.in_words());
            format!(
                "<li><strong>{kind} fra ældretilsynet</strong> (givet {}): {}</li>",
                esc(&day_in_words(s.givet)),
                esc(&s.tekst)
            )
        })
        .collect();
    (!items.is_empty()).then(|| format!("<ul class=\"sanktion\">{}</ul>", items.concat()))
}

/// The latest tilsyn in one line: "2. maj 2026: Mindre problemer af betydning".
fn latest_line(t: &TilsynInfo) -> Option<String> {
    let s = t.seneste.as_ref()?;
    Some(format!(
        "{}: {}",
        esc(&day_in_words(s.dato)),
        esc(&s.vurdering)
    ))
}

/// The details page's section on tilsyn (R32): the latest tilsyn with its summary and report,
/// and the påbud/forbud in force on the day.
pub fn tilsyn_section(t: Option<&TilsynInfo>, day: NaiveDate) -> String {
    let mut m = String::from(
        "<section class=\"panel\" aria-labelledby=\"tilsyn\"><h2 id=\"tilsyn\">Ældretilsynet</h2>",
    );
    let Some(t) = t else {
        m.push_str("<p>Ældretilsynet har ikke registreret et tilsyn her endnu.</p></section>");
        return m;
    };
    match &t.seneste {
        Some(s) => {
            let _ = write!(
                m,
                "<dl class=\"facts\"><dt>Seneste tilsyn</dt><dd>{}</dd><dt>Samlet vurdering</dt><dd>{}</dd></dl><h3>Sammenfatning</h3><div class=\"beskrivelse\">{}</div>",
                esc(&day_in_words(s.dato)),
                esc(&s.vurdering),
                super::enhed_page::paragraphs(&s.sammenfatning)
            );
            if let Some(u) = crate::domain::enhed::validate_web(s.rapport_url.as_deref())
                .ok()
                .flatten()
            {
                let _ = write!(
                    m,
                    "<p><a href=\"{}\" rel=\"noopener noreferrer\">Læs tilsynsrapporten</a></p>",
                    esc(&u)
                );
            }
        }
        None => m.push_str("<p>Ældretilsynet har ikke registreret et tilsyn her endnu.</p>"),
    }
    match in_force_html(t, day) {
        Some(h) => m.push_str(&h),
        None => m.push_str("<p>Ingen påbud eller forbud fra ældretilsynet.</p>"),
    }
    m.push_str("</section>");
    m
}

/// The comparison's two rows of tilsyn: the latest, and what is in force.
pub fn tilsyn_cells(t: Option<&TilsynInfo>, day: NaiveDate) -> (String, String) {
    let none = || "<span class=\"note\">Intet registreret</span>".to_string();
    match t {
        None => (none(), "Ingen".to_string()),
        Some(t) => (
            latest_line(t).unwrap_or_else(none),
            in_force_html(t, day).unwrap_or_else(|| "Ingen".to_string()),
        ),
    }
}
