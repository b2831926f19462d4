//! Statistics pages: how many results a scope (the whole site, or one release) has per
//! technical field, stage, transfer mode and institution, and per release over time, drawn
//! as SVG bar charts at build time (no JavaScript, no web fonts: chart text inherits the
//! page's system font stack). A collection's page (demands, pilot bases) is drawn the same
//! way: its items per term of each of its taxonomies, open against closed items when it has
//! deadlines, and the totals of its integer fields (floor space, instruments, staff).
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
    /// An index into `Site::collections`.
    Collection(usize),
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
    /// The chart's title and its bars' labels are keys of the theme's strings (the open
    /// and closed items of a collection), not text.
    pub keyed: bool,
}

/// The sum of an integer field over a collection's items (floor space, staff…).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Total {
    pub field: String,
    /// The field's label in the page's language.
    pub label: String,
    pub value: i64,
    /// How many items give a value.
    pub items: usize,
}

/// Everything a statistics page shows that comes from the model.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tally {
    /// Results in the scope.
    pub entries: usize,
    /// Of those, drafts and embargoed entries (a `--drafts` preview only).
    pub held: usize,
    pub series: Vec<Series>,
    /// A collection's integer fields summed (empty for results).
    pub totals: Vec<Total>,
}

/// Count the scope's results per charted taxonomy term (labels in `lang`) and, for the whole
/// site, per release (oldest first).
pub fn tally(site: &Site, scope: Scope, lang: &Lang) -> Tally {
    if let Scope::Collection(c) = scope {
        return tally_collection(site, c, lang);
    }
    let default = site.default_lang();
    let u = &site.urls;
    // Entries are in site order, release by release, so a scope's entries are one run of
    // indexes (a release lists its own run, see `Release::entries`), and a term's list of
    // entries is in site order too: a term's count in the scope is then two binary searches.
    // A pass over every entry of the site per release, or over every term's entries per
    // release, made the statistics pages quadratic in the size of the site.
    let run: Range<usize> = match scope {
        Scope::Site => 0..site.entries.len(),
        Scope::Collection(_) => 0..0,
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
            keyed: false,
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
            keyed: false,
        });
    }
    Tally {
        entries: run.len(),
        held,
        series,
        totals: Vec::new(),
    }
}

/// Categories shown at most on a collection's chart of free-text terms (regions…).
const COLLECTION_TOP: usize = 12;

/// [`tally`] of a collection: its items per term of each of its taxonomies (enum terms in
/// the schema's order, free text largest first), open and closed items when it has a
/// `closes` field, and the totals of its integer fields.
fn tally_collection(site: &Site, c: usize, lang: &Lang) -> Tally {
    let default = site.default_lang();
    let u = &site.urls;
    let col = &site.collections[c];
    let schema = &site.config.collections[col.def].schema;
    let label_of = |field: &str| {
        schema.fields[field]
            .label
            .get(lang.as_str(), default.as_str(), field)
            .to_string()
    };
    let mut series = Vec::new();
    for tax in &col.taxonomies {
        let def = &schema.fields[&tax.field];
        let mut bars: Vec<Bar> = (tax.terms.get(lang).into_iter().flatten())
            .map(|t| Bar {
                key: t.slug.to_string(),
                label: t.label.clone(),
                value: t.entries.len(),
                path: u.collection_term(lang, &col.name, &tax.slug, &t.slug, 1),
                number: None,
                date: None,
            })
            .filter(|b| b.value > 0)
            .collect();
        let categories = bars.len();
        let mut top = None;
        if def.kind.enum_options().is_none() {
            bars.sort_by_key(|b| std::cmp::Reverse(b.value));
            if bars.len() > COLLECTION_TOP {
                bars.truncate(COLLECTION_TOP);
                top = Some(COLLECTION_TOP);
            }
        }
        if bars.is_empty() {
            continue;
        }
        series.push(Series {
            id: format!("chart-{}", tax.slug),
            field: Some(tax.field.clone()),
            label: label_of(&tax.field),
            multi: matches!(def.kind, FieldKind::List { .. }),
            top,
            categories,
            bars,
            keyed: false,
        });
    }
    if schema.fields.contains_key("closes") {
        let closed = col.items.iter().filter(|i| i.closed).count();
        let list = u.collection(lang, &col.name, 1);
        let bar = |key: &str, value| Bar {
            key: key.into(),
            label: key.into(),
            value,
            path: list.clone(),
            number: None,
            date: None,
        };
        series.push(Series {
            id: "chart-open".into(),
            field: Some("closes".into()),
            label: "chart_open_closed".into(),
            multi: false,
            top: None,
            categories: 2,
            bars: vec![bar("open", col.items.len() - closed), bar("closed", closed)],
            keyed: true,
        });
    }
    let totals = schema
        .fields
        .values()
        .filter(|d| matches!(d.kind, FieldKind::Integer { .. }))
        .map(|d| {
            let values: Vec<i64> = (col.items.iter())
                .filter_map(
                    |i| match i.version(lang, default).values.get_field(d.name) {
                        Some(crate::validate::Value::Integer(n)) => Some(*n),
                        _ => None,
                    },
                )
                .collect();
            Total {
                field: d.name.to_string(),
                label: label_of(&d.name),
                value: values.iter().sum(),
                items: values.len(),
            }
        })
        .filter(|t| t.items > 0)
        .collect();
    Tally {
        entries: col.items.len(),
        held: col.items.iter().filter(|i| i.hold.is_some()).count(),
        series,
        totals,
    }
}

/// `n` with thousands separated (`1,660,000`).
fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 { format!("-{out}") } else { out }
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
    // Keyed series' labels are the theme's words.
    let tally = Tally {
        series: (tally.series.into_iter())
            .map(|mut s| {
                if s.keyed {
                    for b in &mut s.bars {
                        b.label = t(&b.label);
                    }
                }
                s
            })
            .collect(),
        ..tally
    };
    let tip = |b: &Bar| item(&b.label, b.value);
    let charts: Vec<Chart> = tally
        .series
        .iter()
        .map(|s| {
            let title = match (&s.field, s.top) {
                _ if s.keyed => t(&s.label),
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
                    if s.keyed {
                        t("stats_state")
                    } else {
                        s.label.clone()
                    },
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
    let totals: Vec<serde_json::Value> = (tally.totals.iter())
        .map(|x| {
            serde_json::json!({
                "field": x.field,
                "label": x.label,
                "value": x.value,
                "value_display": grouped(x.value),
                "items": x.items,
            })
        })
        .collect();
    serde_json::json!({
        "scope": match scope {
            Scope::Site => "site",
            Scope::Release(_) => "release",
            Scope::Collection(_) => "collection",
        },
        "totals": totals,
        "title": t("stats_title"),
        "empty": t("stats_empty"),
        "count_header": t("stats_count"),
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
    fn totals_are_grouped_by_thousands() {
        assert_eq!(grouped(1_660_000), "1,660,000");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(-12345), "-12,345");
    }

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
