//! Statistics pages: how many results a scope (the whole site, or one release) has per
//! technical field, stage, transfer mode and institution, and per release over time, drawn
//! as SVG bar charts at build time (no JavaScript, no web fonts: chart text inherits the
//! page's system font stack).
//!
//! [`tally`] reads the model only and is what the preview's page signatures hash; [`context`]
//! adds the theme's words, a text description per chart, the SVG (drawn by [`svg`]) and a
//! data table. Counts
//! come from the taxonomies, so they agree with the taxonomy pages: public entries only, and
//! in a `--drafts` preview the held entries too, like every other list page (the page then
//! says how many of them it counts). A chart whose field is not a taxonomy of the schema is
//! left out, and so is a chart with nothing to count.

use std::ops::Range;

use serde::Serialize;

use crate::config::FieldKind;
use crate::model::Site;
use crate::model::ids::Lang;

mod svg;
use svg::{horizontal, vertical};

/// Which entries a statistics page counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Site,
    /// An index into `Site::releases`.
    Release(usize),
}

/// How a category chart orders and cuts its bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Order {
    /// Largest first (ties in the taxonomy's order).
    ByCount,
    /// The taxonomy's order: the schema's option order, for ordinal scales such as stage.
    Schema,
    /// The `n` largest.
    Top(usize),
}

/// The taxonomy fields charted, by their names in the sample schema (like JSON-LD does).
const CHARTS: &[(&str, Order)] = &[
    ("fields", Order::ByCount),
    ("stage", Order::Schema),
    ("modes", Order::ByCount),
    ("institutions", Order::Top(10)),
];

/// One bar: a term (or a release) and how many results it has in the scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Bar {
    /// The term's slug, or the release id.
    pub key: String,
    /// The term's label in the page's language, or the release's title.
    pub label: String,
    pub value: usize,
    /// Site path of the term's (or release's) page.
    pub path: String,
    /// Releases only: the release number and date.
    pub number: Option<i64>,
    pub date: Option<String>,
}

/// What one chart shows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Series {
    /// Unique on the page, safe in an `id` attribute.
    pub id: String,
    /// The taxonomy field, or `None` for results per release.
    pub field: Option<String>,
    /// The field's label in the page's language.
    pub label: String,
    /// Whether an entry may have several values (so bars may add up to more than the total).
    pub multi: bool,
    /// The chart shows only the `n` largest of `categories`.
    pub top: Option<usize>,
    /// How many categories have results in the scope.
    pub categories: usize,
    pub bars: Vec<Bar>,
}

/// Everything a statistics page shows that comes from the model.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tally {
    /// Results in the scope.
    pub entries: usize,
    /// Of those, drafts and embargoed entries (a `--drafts` preview only).
    pub held: usize,
    pub series: Vec<Series>,
}

/// Count the scope's results per charted taxonomy term (labels in `lang`) and, for the whole
/// site, per release (oldest first).
pub fn tally(site: &Site, scope: Scope, lang: &Lang) -> Tally {
    let default = site.default_lang();
    let u = &site.urls;
    // Entries are in site order, release by release, so a scope's entries are one run of
    // indexes (a release lists its own run, see `Release::entries`), and a term's list of
    // entries is in site order too: a term's count in the scope is then two binary searches.
    // A pass over every entry of the site per release, or over every term's entries per
    // release, made the statistics pages quadratic in the size of the site.
    let run: Range<usize> = match scope {
        Scope::Site => 0..site.entries.len(),
        Scope::Release(r) => {
            let listed = &site.releases[r].entries;
            let run = listed.first().map_or(0..0, |&lo| lo..lo + listed.len());
            debug_assert!(
                run.clone().eq(listed.iter().copied()),
                "a release's entries are one run of the site's"
            );
            run
        }
    };
    let count = |entries: &[usize]| {
        debug_assert!(entries.is_sorted(), "a term's entries are in site order");
        entries.partition_point(|&i| i < run.end) - entries.partition_point(|&i| i < run.start)
    };
    let held = (run.clone())
        .filter(|&i| site.entries[i].hold.is_some())
        .count();
    let mut series = Vec::new();
    for &(field, order) in CHARTS {
        let Some(tax) = site.taxonomies.iter().find(|t| t.field == field) else {
            continue;
        };
        let Some(def) = site.config.schema.fields.get(field) else {
            continue;
        };
        let mut bars: Vec<Bar> = tax
            .terms
            .get(lang)
            .into_iter()
            .flatten()
            .map(|t| Bar {
                key: t.slug.to_string(),
                label: t.label.clone(),
                value: count(&t.entries),
                path: u.term(lang, &tax.slug, &t.slug, 1),
                number: None,
                date: None,
            })
            .filter(|b| b.value > 0)
            .collect();
        let categories = bars.len();
        let mut top = None;
        match order {
            Order::Schema => {}
            Order::ByCount => bars.sort_by_key(|b| std::cmp::Reverse(b.value)),
            Order::Top(n) => {
                bars.sort_by_key(|b| std::cmp::Reverse(b.value));
                if bars.len() > n {
                    bars.truncate(n);
                    top = Some(n);
                }
            }
        }
        if bars.is_empty() {
            continue;
        }
        series.push(Series {
            id: format!("chart-{}", tax.slug),
            field: Some(field.to_string()),
            label: def
                .label
                .get(lang.as_str(), default.as_str(), field)
                .to_string(),
            multi: matches!(def.kind, FieldKind::List { .. }),
            top,
            categories,
            bars,
        });
    }
    if scope == Scope::Site && !site.releases.is_empty() {
        let mut releases: Vec<usize> = (0..site.releases.len()).collect();
        releases.sort_by(|&a, &b| {
            let (x, y) = (&site.releases[a], &site.releases[b]);
            (x.date, x.number, &x.id).cmp(&(y.date, y.number, &y.id))
        });
        let bars: Vec<Bar> = releases
            .into_iter()
            .map(|i| {
                let r = &site.releases[i];
                let text = r.text.get(lang).unwrap_or(&r.text[default]);
                Bar {
                    key: r.id.to_string(),
                    label: text.title.clone(),
                    value: r.entries.len(),
                    path: u.release(lang, &r.id),
                    number: Some(r.number),
                    date: Some(r.date.to_string()),
                }
            })
            .collect();
        series.push(Series {
            id: "chart-releases".into(),
            field: None,
            label: String::new(),
            multi: false,
            top: None,
            categories: bars.len(),
            bars,
        });
    }
    Tally {
        entries: run.len(),
        held,
        series,
    }
}

/// `template` with every `{name}` replaced by its value.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// A field label as it reads inside a sentence: "Results by transfer modes", not "by
/// Transfer modes". Only a capitalised word that is not at the start of the sentence and
/// not an acronym ("TRL") is lowered; scripts without case are left alone.
fn in_sentence(template: &str, label: &str) -> String {
    let mut chars = label.chars();
    let lower = !template.starts_with("{label}")
        && chars.next().is_some_and(|c| c.is_uppercase())
        && chars.next().is_some_and(|c| c.is_lowercase());
    if lower {
        let mut c = label.chars();
        let first: String = c.next().into_iter().flat_map(char::to_lowercase).collect();
        fill(template, &[("label", &format!("{first}{}", c.as_str()))])
    } else {
        fill(template, &[("label", label)])
    }
}

/// A row of a chart's data table.
#[derive(Serialize)]
struct Row {
    label: String,
    value: usize,
    url: String,
    date: Option<String>,
}

/// A chart for the template.
#[derive(Serialize)]
struct Chart {
    id: String,
    /// `category` or `time`.
    kind: &'static str,
    title: String,
    description: String,
    /// Notes under the description (top-n cut, several values per result).
    notes: Vec<String>,
    /// The SVG, already escaped: print it with `| safe`.
    svg: String,
    /// Header of the table's label column.
    label_header: String,
    rows: Vec<Row>,
}

/// The template context of a statistics page (`stats` in `stats.html`); `t` gives the
/// theme's UI strings in `lang`.
pub fn context(
    site: &Site,
    scope: Scope,
    lang: &Lang,
    t: &dyn Fn(&str) -> String,
) -> serde_json::Value {
    let u = &site.urls;
    let tally = tally(site, scope, lang);
    let count = |n: usize| n.to_string();
    let item =
        |label: &str, n: usize| fill(&t("chart_item"), &[("label", label), ("n", &count(n))]);
    let tip = |b: &Bar| item(&b.label, b.value);
    let charts: Vec<Chart> = tally
        .series
        .iter()
        .map(|s| {
            let title = match (&s.field, s.top) {
                (None, _) => t("chart_releases"),
                (Some(_), Some(n)) => {
                    fill(&in_sentence(&t("chart_top"), &s.label), &[("n", &count(n))])
                }
                (Some(_), None) => in_sentence(&t("chart_by"), &s.label),
            };
            // The largest values first, five at most, then how many more there are.
            let mut largest: Vec<&Bar> = s.bars.iter().collect();
            largest.sort_by_key(|b| std::cmp::Reverse(b.value));
            let mut parts: Vec<String> = largest
                .iter()
                .take(5)
                .map(|b| item(&b.label, b.value))
                .collect();
            if s.categories > 5 {
                parts.push(fill(&t("chart_more"), &[("n", &count(s.categories - 5))]));
            }
            let description = format!("{}{}", parts.join(&t("chart_sep")), t("chart_end"));
            let mut notes = Vec::new();
            if let Some(n) = s.top {
                notes.push(fill(
                    &t("chart_top_note"),
                    &[("n", &count(s.categories)), ("k", &count(n))],
                ));
            }
            let sum: usize = s.bars.iter().map(|b| b.value).sum();
            if s.multi && s.top.is_none() && sum > tally.entries {
                notes.push(t("chart_multi_note"));
            }
            let (kind, svg, label_header) = match s.field {
                None => {
                    let axis = |b: &Bar| {
                        let no = b.number.unwrap_or_default().to_string();
                        let mut lines = vec![fill(&t("chart_release_axis"), &[("n", &no)])];
                        // The month (`2024-09`) tells apart numbers that restart each year.
                        lines.extend(b.date.as_ref().map(|d| d.chars().take(7).collect()));
                        lines
                    };
                    let svg = vertical(&s.id, &title, &description, &s.bars, &axis, &tip);
                    ("time", svg, t("in_release"))
                }
                Some(_) => (
                    "category",
                    horizontal(&s.id, &title, &description, &s.bars, &tip),
                    s.label.clone(),
                ),
            };
            Chart {
                id: s.id.clone(),
                kind,
                title,
                description,
                notes,
                svg,
                label_header,
                rows: s
                    .bars
                    .iter()
                    .map(|b| Row {
                        label: b.label.clone(),
                        value: b.value,
                        url: u.href(&b.path),
                        date: b.date.clone(),
                    })
                    .collect(),
            }
        })
        .collect();
    let n = count(tally.entries);
    serde_json::json!({
        "scope": match scope { Scope::Site => "site", Scope::Release(_) => "release" },
        "entries": tally.entries,
        "held": tally.held,
        "summary": fill(&t("stats_total"), &[("n", &n)]),
        "held_note": fill(&t("stats_held"), &[("n", &count(tally.held))]),
        "charts": charts,
        "site_url": u.href(&u.stats(lang)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_lower_only_words() {
        assert_eq!(
            in_sentence("Results by {label}", "Transfer modes"),
            "Results by transfer modes"
        );
        assert_eq!(in_sentence("Results by {label}", "TRL"), "Results by TRL");
        assert_eq!(in_sentence("{label} by count", "Fields"), "Fields by count");
        assert_eq!(in_sentence("按{label}统计", "技术领域"), "按技术领域统计");
    }
}
