//! A rule's documentation (its module doc comment, a small Markdown subset)
//! as HTML, so the page can explain each rule where its findings are.
//!
//! The docs are ours, but they are escaped like any other text before the
//! few constructs they use are turned into tags: `## headings`, paragraphs,
//! `-` and `1.` lists (with indented continuation lines), fenced code blocks,
//! `` `code` `` and `**bold**`. Anything else stays literal text.

use std::fmt::Write as _;

use crate::svg::escape_xml as escape;

/// The HTML of `doc` without its first line (the summary, shown elsewhere).
pub fn body_html(doc: &str) -> String {
    let mut out = String::new();
    let mut block: Vec<&str> = Vec::new();
    let mut lines = doc.lines().skip(1).peekable();
    while let Some(line) = lines.next() {
        if line.trim_start().starts_with("```") {
            flush(&mut out, &mut block);
            out.push_str("<pre><code>");
            for code in lines.by_ref().take_while(|l| !l.trim_start().starts_with("```")) {
                let _ = writeln!(out, "{}", escape(code));
            }
            out.push_str("</code></pre>\n");
        } else if let Some(heading) = line.strip_prefix("## ") {
            flush(&mut out, &mut block);
            let _ = writeln!(out, "<h5>{}</h5>", inline(heading.trim()));
        } else if line.trim().is_empty() {
            flush(&mut out, &mut block);
        } else {
            block.push(line);
        }
    }
    flush(&mut out, &mut block);
    out
}

/// The list marker of a line (`- `, `* `, `12. `) and the text after it.
fn list_item(line: &str) -> Option<(bool, &str)> {
    let trimmed = line.trim_start();
    if let Some(rest) = trimmed.strip_prefix("- ").or_else(|| trimmed.strip_prefix("* ")) {
        return Some((false, rest));
    }
    let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
    (digits > 0).then(|| trimmed[digits..].strip_prefix(". ")).flatten().map(|rest| (true, rest))
}

/// Writes a paragraph or a list from the lines of one block.
fn flush(out: &mut String, block: &mut Vec<&str>) {
    if block.is_empty() {
        return;
    }
    if let Some((ordered, _)) = list_item(block[0]) {
        let tag = if ordered { "ol" } else { "ul" };
        let mut items: Vec<String> = Vec::new();
        for line in block.iter() {
            match list_item(line) {
                Some((_, text)) => items.push(text.trim().to_owned()),
                None => {
                    if let Some(last) = items.last_mut() {
                        last.push(' ');
                        last.push_str(line.trim());
                    }
                }
            }
        }
        let _ = write!(out, "<{tag}>");
        for item in items {
            let _ = write!(out, "<li>{}</li>", inline(&item));
        }
        let _ = writeln!(out, "</{tag}>");
    } else {
        let text: Vec<&str> = block.iter().map(|l| l.trim()).collect();
        let _ = writeln!(out, "<p>{}</p>", inline(&text.join(" ")));
    }
    block.clear();
}

/// Escapes `text`, then turns `` `code` `` and `**bold**` pairs into tags (an unpaired marker stays literal).
fn inline(text: &str) -> String {
    let escaped = escape(text);
    let mut out = String::with_capacity(escaped.len());
    let mut rest = escaped.as_str();
    while let Some(start) = rest.find(['`', '*']) {
        let (marker, tag) = if rest[start..].starts_with('`') {
            ("`", "code")
        } else if rest[start..].starts_with("**") {
            ("**", "b")
        } else {
            out.push_str(&rest[..=start]);
            rest = &rest[start + 1..];
            continue;
        };
        let after = &rest[start + marker.len()..];
        match after.find(marker) {
            Some(end) if end > 0 => {
                let _ = write!(out, "{}<{tag}>{}</{tag}>", &rest[..start], &after[..end]);
                rest = &after[end + marker.len()..];
            }
            _ => {
                out.push_str(&rest[..start + marker.len()]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_subset_the_rule_docs_use() {
        let doc = "Summary line.\n\n## What it finds\n\nVolumes in the `available` state for\nat least **7 days**.\n\n\
                   - one item\n  continued\n- two <b>\n\n1. first\n2. second\n\n```toml\nx = \"<y>\"\n```\n";
        assert_eq!(
            body_html(doc),
            "<h5>What it finds</h5>\n<p>Volumes in the <code>available</code> state for at least <b>7 days</b>.</p>\n\
             <ul><li>one item continued</li><li>two &lt;b&gt;</li></ul>\n<ol><li>first</li><li>second</li></ol>\n\
             <pre><code>x = &quot;&lt;y&gt;&quot;\n</code></pre>\n"
        );
    }

    #[test]
    fn unpaired_markers_stay_literal() {
        assert_eq!(inline("a `b and 2 * 3 **c"), "a `b and 2 * 3 **c");
        assert_eq!(inline("x ** y"), "x ** y");
    }

    #[test]
    fn every_registered_rule_renders_without_stray_markers() {
        for rule in costwise_analyzer::rules::registry() {
            let html = body_html(&rule.doc);
            assert!(html.contains("<h5>How savings are estimated</h5>"), "{}: {html}", rule.id);
            assert!(!html.contains("##"), "{}: {html}", rule.id);
        }
    }
}
