//! `[[rules]]`: what to hold, in order, ending with the `otherwise = true` fallback.

use super::common::expr_src;
use super::reader::{join, number_of, table_of, Cx, Table};
use super::types::*;
use super::value::{Node, Value};

pub(crate) fn read_weights(cx: &mut Cx, node: &Node, key: &str) -> Vec<(String, f64)> {
    let Some(t) = table_of(cx, node, key) else {
        return vec![];
    };
    let mut out = Vec::new();
    for (k, v) in t.entries {
        let wkey = join(key, k.get_ref());
        match number_of(cx, v, &wkey) {
            Some(w) if w.abs() <= super::MAX_WEIGHT => out.push((k.get_ref().clone(), w)),
            Some(w) => cx.err(
                &v.span(),
                &wkey,
                format!(
                    "expected a weight from -{m} to {m} (times equity), found {w}",
                    m = super::MAX_WEIGHT
                ),
            ),
            None => {}
        }
    }
    out
}

pub(crate) fn read_rules(cx: &mut Cx, top: &mut Table) -> Vec<RuleSpec> {
    let Some(node) = top.get("rules") else {
        cx.err(
            &(0..0),
            "rules",
            "missing required [[rules]] (at least one rule, ending with `otherwise = true`)",
        );
        return vec![];
    };
    let items = match node.get_ref() {
        Value::Array(items) => items,
        other => {
            cx.err(
                &node.span(),
                "rules",
                format!(
                    "expected an array of tables [[rules]], found {}",
                    other.type_name()
                ),
            );
            return vec![];
        }
    };
    let mut out = Vec::new();
    let n = items.len();
    for (i, item) in items.iter().enumerate() {
        let key = format!("rules[{i}]");
        let Some(mut t) = table_of(cx, item, &key) else {
            continue;
        };
        let when = t
            .get("when")
            .and_then(|n| expr_src(cx, n, &format!("{key}.when")));
        let otherwise = t.boolean(cx, "otherwise").map(|b| b.0).unwrap_or(false);
        let weights_node = t.get("weights");
        let weights = weights_node
            .map(|n| read_weights(cx, n, &format!("{key}.weights")))
            .unwrap_or_default();
        let select = t.table(cx, "select").and_then(|mut st| {
            let s = read_select(cx, &mut st);
            st.finish(
                cx,
                &[
                    "top",
                    "score",
                    "from",
                    "weighting",
                    "vol_lookback",
                    "weight",
                ],
            );
            s
        });
        let span = t.span.clone();
        if when.is_some() && otherwise {
            cx.err(
                &span,
                &key,
                "a rule has either `when = \"...\"` or `otherwise = true`, not both",
            );
        }
        if when.is_none() && !otherwise && !t.entries.iter().any(|(k, _)| k.get_ref() == "when") {
            cx.err(
                &span,
                &key,
                "expected `when = \"condition\"` or `otherwise = true`",
            );
        }
        if otherwise && i + 1 != n {
            cx.err(
                &span,
                &key,
                "`otherwise = true` must be the last rule (rules are tried in order)",
            );
        }
        if !otherwise && i + 1 == n && when.is_some() {
            cx.err(&span, &key, "the last rule must be `otherwise = true`: say what to hold when no condition holds");
        }
        if weights_node.is_none()
            && select.is_none()
            && !t.entries.iter().any(|(k, _)| k.get_ref() == "select")
        {
            cx.err(
                &span,
                &key,
                "expected `weights = { asset = weight, ... }` or a `select` table",
            );
        }
        if weights_node.is_some() && select.is_some() {
            cx.err(
                &span,
                &key,
                "a rule has either `weights` or `select`, not both",
            );
        }
        t.finish(cx, &["when", "otherwise", "weights", "select"]);
        out.push(RuleSpec {
            when: if otherwise { None } else { when },
            weights,
            select,
            span,
        });
    }
    if items.is_empty() {
        cx.err(&node.span(), "rules", "expected at least one rule");
    }
    out
}

fn read_select(cx: &mut Cx, t: &mut Table) -> Option<SelectSpec> {
    let top = t.integer(cx, "top", 1, 10_000).map(|v| v.0 as usize);
    let score = t
        .get("score")
        .and_then(|n| expr_src(cx, n, &t.path("score")));
    if score.is_none() && t.entries.iter().all(|(k, _)| k.get_ref() != "score") {
        let span = t.span.clone();
        cx.err(&span, &t.path("score"), "missing required key (a score expression using `_` for the candidate, e.g. \"ret(_, 63)\")");
    }
    let mut from = Vec::new();
    match t.get("from") {
        Some(node) => match node.get_ref() {
            Value::Array(items) => {
                for item in items {
                    match item.get_ref() {
                        Value::String(s) => from.push(s.clone()),
                        other => cx.err(
                            &item.span(),
                            &t.path("from"),
                            format!("expected asset names, found {}", other.type_name()),
                        ),
                    }
                }
            }
            other => cx.err(
                &node.span(),
                &t.path("from"),
                format!(
                    "expected an array of asset names, found {}",
                    other.type_name()
                ),
            ),
        },
        None => {
            let span = t.span.clone();
            cx.err(
                &span,
                &t.path("from"),
                "missing required key (the candidate assets)",
            );
        }
    }
    let weighting = t
        .choice(
            cx,
            "weighting",
            &[
                ("equal", Weighting::Equal),
                ("inverse_vol", Weighting::InverseVol),
            ],
        )
        .unwrap_or(Weighting::Equal);
    let vol_lookback = t
        .integer(cx, "vol_lookback", 2, super::MAX_BARS)
        .map(|v| v.0 as usize)
        .unwrap_or(63);
    let weight = match t.number(cx, "weight") {
        Some((w, _)) if w.abs() <= super::MAX_WEIGHT => w,
        Some((w, span)) => {
            cx.err(
                &span,
                &t.path("weight"),
                format!(
                    "expected a weight from -{m} to {m} (times equity), found {w}",
                    m = super::MAX_WEIGHT
                ),
            );
            1.0
        }
        None => 1.0,
    };
    let top = top.unwrap_or(1);
    if !from.is_empty() && top > from.len() {
        let span = t.span.clone();
        cx.err(
            &span,
            &t.path("top"),
            format!("top = {top} but only {} candidates in `from`", from.len()),
        );
    }
    Some(SelectSpec {
        top,
        score: score?,
        from,
        weighting,
        vol_lookback,
        weight,
    })
}
