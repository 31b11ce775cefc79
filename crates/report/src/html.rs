//! The self-contained HTML page for the Friday cost review.
//!
//! One file, no external assets: CSS is inlined, the charts are inline SVG
//! and findings expand with `<details>`, so the page works from a file share,
//! an e-mail attachment, a phone or paper. One inline script (`report.js`)
//! filters and sorts the findings and keeps that state in the URL hash; it is
//! an enhancement only: without it every finding is listed. askama escapes
//! every value (resource names and tags are user-controlled); only the SVG we
//! generate ourselves is inserted unescaped.

use askama::Template;

use crate::view::ReportView;

/// The page template.
#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage<'a> {
    view: &'a ReportView,
}

/// Renders the report page.
pub fn render(view: &ReportView) -> Result<String, askama::Error> {
    ReportPage { view }.render()
}
