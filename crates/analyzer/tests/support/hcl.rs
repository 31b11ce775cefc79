//! Reading the Terraform costwise writes, parsed with hcl-rs: blocks, attributes,
//! plain values and the references between resources. Shared by the test binaries
//! that check generated Terraform (`#[path]`-included; each uses part of it).
#![allow(dead_code)]

use hcl::expr::{Traversal, TraversalOperator};
use hcl::{Block, Body, Expression, ObjectKey};

/// `text` parsed as HCL; fails the test, showing the text, when it is not valid HCL.
pub fn parse(text: &str) -> Body {
    hcl::parse(text).unwrap_or_else(|e| panic!("not valid HCL: {e}\n---\n{text}"))
}

/// The blocks of `body` named `ident`, in order.
pub fn blocks<'a>(body: &'a Body, ident: &str) -> Vec<&'a Block> {
    body.blocks().filter(|b| b.identifier() == ident).collect()
}

/// The one block of `body` named `ident`.
pub fn only<'a>(body: &'a Body, ident: &str) -> &'a Block {
    match blocks(body, ident).as_slice() {
        [block] => block,
        other => panic!("expected one `{ident}` block, found {}", other.len()),
    }
}

/// The labels of a block.
pub fn labels(block: &Block) -> Vec<&str> {
    block.labels().iter().map(hcl::BlockLabel::as_str).collect()
}

/// The one block `ident "label0" "label1" ...` of `body`.
pub fn labelled<'a>(body: &'a Body, ident: &str, want: &[&str]) -> &'a Block {
    let found: Vec<&Block> = blocks(body, ident).into_iter().filter(|b| labels(b) == want).collect();
    match found.as_slice() {
        [block] => block,
        other => panic!("expected one `{ident} {want:?}` block, found {}", other.len()),
    }
}

/// Attribute names and block names of `body`, each sorted.
pub fn keys(body: &Body) -> (Vec<&str>, Vec<&str>) {
    let mut attributes: Vec<&str> = body.attributes().map(hcl::Attribute::key).collect();
    let mut blocks: Vec<&str> = body.blocks().map(Block::identifier).collect();
    attributes.sort_unstable();
    blocks.sort_unstable();
    (attributes, blocks)
}

/// The expression of attribute `key` of `body`.
pub fn attr<'a>(body: &'a Body, key: &str) -> &'a Expression {
    let found: Vec<&hcl::Attribute> = body.attributes().filter(|a| a.key() == key).collect();
    match found.as_slice() {
        [attribute] => attribute.expr(),
        other => panic!("expected one `{key}` attribute, found {}", other.len()),
    }
}

/// A plain string: a quoted literal without interpolations or directives
/// (`$${` escapes already resolved to `${`).
pub fn string(expr: &Expression) -> &str {
    match expr {
        Expression::String(s) => s,
        other => panic!("expected a plain string, got {other:?}"),
    }
}

/// The string attribute `key` of `body`.
pub fn str_attr<'a>(body: &'a Body, key: &str) -> &'a str {
    string(attr(body, key))
}

/// A whole number.
pub fn int(expr: &Expression) -> u64 {
    match expr {
        Expression::Number(n) => n.as_u64().unwrap_or_else(|| panic!("expected a whole number, got {n}")),
        other => panic!("expected a number, got {other:?}"),
    }
}

/// A boolean.
pub fn boolean(expr: &Expression) -> bool {
    match expr {
        Expression::Bool(b) => *b,
        other => panic!("expected a boolean, got {other:?}"),
    }
}

/// An array of plain strings.
pub fn strings(expr: &Expression) -> Vec<&str> {
    match expr {
        Expression::Array(items) => items.iter().map(string).collect(),
        other => panic!("expected an array, got {other:?}"),
    }
}

/// A reference such as `aws_cloudfront_distribution.web.arn`, as that dotted text.
pub fn reference(expr: &Expression) -> String {
    match expr {
        Expression::Traversal(traversal) => {
            dotted(traversal).unwrap_or_else(|| panic!("not a plain reference: {expr}"))
        }
        other => panic!("expected a reference, got {other:?}"),
    }
}

/// `a.b.c` for a variable followed by attribute accesses only.
fn dotted(traversal: &Traversal) -> Option<String> {
    let Expression::Variable(root) = &traversal.expr else { return None };
    let mut parts = vec![root.as_str().to_owned()];
    for operator in &traversal.operators {
        match operator {
            TraversalOperator::GetAttr(ident) => parts.push(ident.as_str().to_owned()),
            _ => return None,
        }
    }
    Some(parts.join("."))
}

/// The value under `key` (an identifier or a quoted key) of an object expression.
pub fn field<'a>(expr: &'a Expression, key: &str) -> &'a Expression {
    let Expression::Object(object) = expr else { panic!("expected an object, got {expr:?}") };
    let found: Vec<&Expression> = object
        .iter()
        .filter(|(k, _)| match k {
            ObjectKey::Identifier(ident) => ident.as_str() == key,
            ObjectKey::Expression(Expression::String(s)) => s == key,
            _ => false,
        })
        .map(|(_, v)| v)
        .collect();
    match found.as_slice() {
        [value] => value,
        other => panic!("expected one `{key}` key, found {}", other.len()),
    }
}

/// The keys of an object expression, in order.
pub fn field_names(expr: &Expression) -> Vec<String> {
    let Expression::Object(object) = expr else { panic!("expected an object, got {expr:?}") };
    object
        .keys()
        .map(|k| match k {
            ObjectKey::Identifier(ident) => ident.as_str().to_owned(),
            ObjectKey::Expression(Expression::String(s)) => s.clone(),
            other => panic!("unexpected object key {other:?}"),
        })
        .collect()
}

/// The arguments of a call to function `name`.
pub fn call<'a>(expr: &'a Expression, name: &str) -> &'a [Expression] {
    match expr {
        Expression::FuncCall(call) if call.name.namespace.is_empty() && call.name.name.as_str() == name => &call.args,
        other => panic!("expected a call to {name}(), got {other:?}"),
    }
}

/// What the configuration declares, as Terraform addresses them: `type.label` for a
/// resource, `data.type.label` for a data source.
pub fn declared(body: &Body) -> Vec<String> {
    let mut out = Vec::new();
    for block in body.blocks() {
        match (block.identifier(), labels(block).as_slice()) {
            ("resource", [kind, name]) => out.push(format!("{kind}.{name}")),
            ("data", [kind, name]) => out.push(format!("data.{kind}.{name}")),
            _ => {}
        }
    }
    out
}

/// Every reference anywhere in `body` (attributes of nested blocks, arrays, objects,
/// function arguments) that names a resource or data source: its `type.label` or
/// `data.type.label` address.
pub fn referenced(body: &Body) -> Vec<String> {
    let mut out = Vec::new();
    collect_body(body, &mut out);
    out
}

fn collect_body(body: &Body, out: &mut Vec<String>) {
    for attribute in body.attributes() {
        collect_expr(attribute.expr(), out);
    }
    for block in body.blocks() {
        collect_body(block.body(), out);
    }
}

fn collect_expr(expr: &Expression, out: &mut Vec<String>) {
    match expr {
        Expression::Traversal(traversal) => {
            let text = dotted(traversal).unwrap_or_else(|| panic!("unexpected traversal {expr}"));
            let parts: Vec<&str> = text.split('.').collect();
            let address = if parts[0] == "data" { parts.get(..3) } else { parts.get(..2) };
            out.push(address.unwrap_or_else(|| panic!("incomplete reference {text}")).join("."));
        }
        Expression::Variable(variable) => panic!("bare variable `{}` refers to nothing", variable.as_str()),
        Expression::Array(items) => items.iter().for_each(|e| collect_expr(e, out)),
        Expression::Object(object) => object.values().for_each(|e| collect_expr(e, out)),
        Expression::FuncCall(call) => call.args.iter().for_each(|e| collect_expr(e, out)),
        Expression::TemplateExpr(template) => panic!("unexpected template {template}"),
        _ => {}
    }
}

/// Asserts that every reference in `body` names something `body` declares.
pub fn assert_references_resolve(body: &Body, text: &str) {
    let declared = declared(body);
    for address in referenced(body) {
        assert!(declared.contains(&address), "{address} is referenced but not declared in\n{text}");
    }
}
