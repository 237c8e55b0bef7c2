//! The playground at `/`: GraphiQL with the example operations of `playground/` as tabs and one
//! development-token field for every tab. GraphiQL and React are vendored under `assets/vendor/`
//! and embedded in the binary, so the page works offline and under a strict
//! Content-Security-Policy (no third-party host, no inline script).
use super::page::{self, Asset, Assets, CSS, JS};
use axum::response::Response;
use std::sync::LazyLock;

/// The example operations of `playground/`, offered as tabs in the playground: a Danish title
/// and the document. GraphiQL names a tab after the (first) operation of its document and
/// operation names are ASCII, so each document's first operation is named after the title
/// ([`operation_name_for`]; a test holds the files to it).
pub const PLAYGROUND_OPERATIONS: &[(&str, &str)] = &[
    (
        "Kommuner",
        include_str!("../../playground/kommuner.graphql"),
    ),
    (
        "Plejeboliger nær Aarhus C",
        include_str!("../../playground/search-aarhus-naer.graphql"),
    ),
    (
        "Helhedspleje i Roskilde",
        include_str!("../../playground/search-helhedspleje-naeste-maaned.graphql"),
    ),
    (
        "Et plejecenter",
        include_str!("../../playground/enhed.graphql"),
    ),
    (
        "Hvem er jeg",
        include_str!("../../playground/viewer.graphql"),
    ),
    (
        "Mine serviceleverancer",
        include_str!("../../playground/serviceleverancer.graphql"),
    ),
    (
        "Opret serviceleverance",
        include_str!("../../playground/create.graphql"),
    ),
    (
        "Lås",
        include_str!("../../playground/lock-update-checkin.graphql"),
    ),
    (
        "Ændringer i Aarhus",
        include_str!("../../playground/aendringer.graphql"),
    ),
    (
        "Ændringer live",
        include_str!("../../playground/aendringer-live.graphql"),
    ),
];

/// The operation name (and so GraphiQL's tab title) for a Danish title: æ, ø, å become ae, oe,
/// aa and every run of other characters one `_` ("Plejeboliger nær Aarhus C" →
/// `Plejeboliger_naer_Aarhus_C`).
pub fn operation_name_for(title: &str) -> String {
    let mut ascii = String::new();
    for c in title.chars() {
        match c {
            'æ' => ascii.push_str("ae"),
            'Æ' => ascii.push_str("Ae"),
            'ø' => ascii.push_str("oe"),
            'Ø' => ascii.push_str("Oe"),
            'å' => ascii.push_str("aa"),
            'Å' => ascii.push_str("Aa"),
            c if c.is_ascii_alphanumeric() => ascii.push(c),
            _ => ascii.push(' '),
        }
    }
    ascii.split_whitespace().collect::<Vec<_>>().join("_")
}

/// The name of the first operation of `doc` (what GraphiQL shows as the tab title).
pub fn first_operation_name(doc: &str) -> Option<&str> {
    doc.lines()
        .map(str::trim_start)
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let rest = ["query", "mutation", "subscription"]
                .iter()
                .find_map(|k| l.strip_prefix(k))?;
            let rest = rest.strip_prefix(char::is_whitespace)?.trim_start();
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            (end > 0).then(|| &rest[..end])
        })
}

/// Vendored files: the version is in the path, so they are cached for a year.
const VENDOR: &[(&str, &str, &[u8])] = &[
    (
        "vendor/react-18.3.1/react.production.min.js",
        JS,
        include_bytes!("../../assets/vendor/react-18.3.1/react.production.min.js"),
    ),
    (
        "vendor/react-dom-18.3.1/react-dom.production.min.js",
        JS,
        include_bytes!("../../assets/vendor/react-dom-18.3.1/react-dom.production.min.js"),
    ),
    (
        "vendor/graphiql-3.9.0/graphiql.min.js",
        JS,
        include_bytes!("../../assets/vendor/graphiql-3.9.0/graphiql.min.js"),
    ),
    (
        "vendor/graphiql-3.9.0/graphiql.min.css",
        CSS,
        include_bytes!("../../assets/vendor/graphiql-3.9.0/graphiql.min.css"),
    ),
];

/// Our own files: served under a name with a hash of their content, so they are cached for a
/// year too and a new build is never mixed with an old cached file.
const OWN: &[(&str, &str, &str, &[u8])] = &[
    (
        "playground",
        "js",
        JS,
        include_bytes!("../../playground/playground.js"),
    ),
    (
        "playground",
        "css",
        CSS,
        include_bytes!("../../playground/playground.css"),
    ),
];

static ASSETS: LazyLock<Assets> = LazyLock::new(|| Assets::new(VENDOR, OWN));

/// Every asset path of the playground under `/assets/` with its content type (for tests).
pub fn asset_paths() -> Vec<(String, &'static str)> {
    ASSETS.paths()
}

/// A playground file by its path under `/assets/`.
pub(crate) fn find_asset(path: &str) -> Option<&'static Asset> {
    ASSETS.get(path)
}

fn url(name: &str) -> &str {
    ASSETS.url(name)
}

/// The Content-Security-Policy of the playground page. Styles: GraphiQL's dialogs (Radix UI's
/// scroll lock) insert a `<style>` element; it carries the page's nonce (GraphiQL reads
/// `__webpack_nonce__`, set by playground.js), so no 'unsafe-inline' is needed. Everything else
/// GraphiQL styles goes through the CSSOM, which CSP does not restrict. Fonts and a few icons
/// are data: URLs inside graphiql.min.css.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self' 'nonce-{nonce}'; \
         connect-src 'self'; img-src 'self' data:; font-src 'self' data:; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )
}

/// The playground page; `nonce` goes into the CSP header and the page.
pub fn playground_html(nonce: &str) -> String {
    let tabs: Vec<serde_json::Value> = PLAYGROUND_OPERATIONS
        .iter()
        .map(|(title, q)| serde_json::json!({ "title": title, "tab": operation_name_for(title), "query": q }))
        .collect();
    include_str!("../../playground/index.html")
        .replace("{{NONCE}}", nonce)
        .replace(
            "{{TABS}}",
            &page::json_in_html(&serde_json::Value::Array(tabs)),
        )
        .replace(
            "{{GRAPHIQL_CSS}}",
            url("vendor/graphiql-3.9.0/graphiql.min.css"),
        )
        .replace("{{PLAYGROUND_CSS}}", url("playground.css"))
        .replace(
            "{{REACT_JS}}",
            url("vendor/react-18.3.1/react.production.min.js"),
        )
        .replace(
            "{{REACT_DOM_JS}}",
            url("vendor/react-dom-18.3.1/react-dom.production.min.js"),
        )
        .replace(
            "{{GRAPHIQL_JS}}",
            url("vendor/graphiql-3.9.0/graphiql.min.js"),
        )
        .replace("{{PLAYGROUND_JS}}", url("playground.js"))
}

pub async fn page() -> Response {
    let nonce = page::nonce();
    page::html_response(playground_html(&nonce), &content_security_policy(&nonce))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_titles_are_the_operation_names() {
        assert_eq!(
            operation_name_for("Plejeboliger nær Aarhus C"),
            "Plejeboliger_naer_Aarhus_C"
        );
        assert_eq!(operation_name_for("Lås, ret"), "Laas_ret");
        for (title, doc) in PLAYGROUND_OPERATIONS {
            assert_eq!(
                first_operation_name(doc),
                Some(operation_name_for(title).as_str()),
                "{title}"
            );
        }
    }
}
