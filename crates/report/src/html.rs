//! The self-contained HTML page for the Friday cost review.
//!
//! One file, no scripts, no external assets: CSS is inlined, the trend chart
//! is inline SVG and findings expand with `<details>`, so the page works from
//! a file share, an e-mail attachment, a phone or paper. askama escapes every
//! value (resource names and tags are user-controlled); only the SVG we
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
