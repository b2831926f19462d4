//! Statistics pages: how many results a scope (the whole site, or one release) has per
//! technical field, stage, transfer mode and institution, and per release over time, drawn
//! as SVG bar charts at build time (no JavaScript, no web fonts: chart text inherits the
//! page's system font stack).
//!
//! [`tally`] reads the model only and is what the preview's page signatures hash; [`context`]
//! adds the theme's words, a text description per chart, the SVG and a data table. Counts
//! come from the taxonomies, so they agree with the taxonomy pages: public entries only, and
//! in a `--drafts` preview the held entries too, like every other list page (the page then
//! says how many of them it counts). A chart whose field is not a taxonomy of the schema is
//! left out, and so is a chart with nothing to count.

use serde::Serialize;

use crate::config::FieldKind;
use crate::model::Site;
use crate::model::ids::Lang;
use crate::render::xml::xml_escape;

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
    let in_scope = |i: usize| match scope {
        Scope::Site => true,
        Scope::Release(r) => site.entries[i].release_index == r,
    };
    let scoped: Vec<usize> = (0..site.entries.len()).filter(|&i| in_scope(i)).collect();
    // Entries are in site order, release by release, so the scope's entries are one run of
    // indexes, and a term's list of entries is in site order too: a term's count in the
    // scope is then two binary searches instead of a pass over the term (a pass per term
    // per release stats page made the stats pages quadratic in the size of the site).
    let run = match (scoped.first(), scoped.last()) {
        (Some(&lo), Some(&hi)) if hi - lo + 1 == scoped.len() => Some(lo..=hi),
        _ => None,
    };
    let count = |entries: &[usize]| match &run {
        Some(r) => {
            debug_assert!(entries.is_sorted(), "a term's entries are in site order");
            entries.partition_point(|&i| i <= *r.end())
                - entries.partition_point(|&i| i < *r.start())
        }
        None => entries.iter().filter(|&&i| in_scope(i)).count(),
    };
    let held = scoped
        .iter()
        .filter(|&&i| site.entries[i].hold.is_some())
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
        entries: scoped.len(),
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

/// How many ems `c` takes, roughly: CJK and other wide characters one em, Latin capitals and
/// wide letters about two thirds, everything else about half.
fn char_em(c: char) -> f64 {
    let wide = matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD);
    if wide {
        1.0
    } else if c.is_uppercase() || matches!(c, 'm' | 'w' | '@' | '%') {
        0.7
    } else if matches!(
        c,
        'i' | 'l' | 'j' | '.' | ',' | ':' | ';' | '\'' | '|' | ' '
    ) {
        0.3
    } else {
        0.56
    }
}

/// The width of `s` in ems, roughly.
fn text_em(s: &str) -> f64 {
    s.chars().map(char_em).sum()
}

/// `s` cut to at most `max_em` ems, ending in "…" when cut.
fn truncate(s: &str, max_em: f64) -> String {
    if text_em(s) <= max_em {
        return s.to_string();
    }
    let mut out = String::new();
    let mut width = 1.0; // the ellipsis
    for c in s.chars() {
        width += char_em(c);
        if width > max_em {
            break;
        }
        out.push(c);
    }
    format!("{}…", out.trim_end())
}

/// A percentage for an SVG attribute, with two decimals so the output is stable.
fn pct(value: usize, max: usize) -> String {
    let p = if max == 0 {
        0.0
    } else {
        value as f64 * 100.0 / max as f64
    };
    format!("{p:.2}%")
}

const BAR: &str = "#0b5cad";
const TRACK: &str = "#e8eef6";
const INK: &str = "#1a1f29";
const MUTED: &str = "#5a6272";

/// The opening of an accessible chart: `role="img"` named by its `<title>` and described by
/// its `<desc>`. Widths are percentages of the container, so bars stretch with the page
/// while text keeps its size.
fn svg_open(out: &mut String, id: &str, class: &str, height: u32, title: &str, desc: &str) {
    let id = xml_escape(id);
    out.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart-svg {class}\" id=\"{id}-svg\" \
         width=\"100%\" height=\"{height}\" role=\"img\" \
         aria-labelledby=\"{id}-title {id}-desc\">\n\
         <title id=\"{id}-title\">{}</title>\n<desc id=\"{id}-desc\">{}</desc>\n",
        xml_escape(title),
        xml_escape(desc),
    ));
}

/// The most ems a category label takes beside its value on a 320-pixel-wide phone.
const LABEL_EM: f64 = 18.0;
/// The same in a chart at least 26rem wide (any screen from 30rem up, see the theme's CSS).
/// A label longer than [`LABEL_EM`] is drawn twice, cut to each width; the wide one is
/// hidden unless the stylesheet shows it, so a page without CSS still shows the short one.
const WIDE_LABEL_EM: f64 = 26.0;
/// Height of one horizontal bar's row: its label line, then the bar.
const ROW: u32 = 42;

/// Horizontal bars, one row per category: the label and value above the bar.
fn horizontal(
    id: &str,
    title: &str,
    desc: &str,
    bars: &[Bar],
    tip: &dyn Fn(&Bar) -> String,
) -> String {
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0);
    let height = ROW * bars.len() as u32 + 4;
    let mut out = String::new();
    svg_open(&mut out, id, "chart-hbar", height, title, desc);
    for (i, b) in bars.iter().enumerate() {
        let y = ROW * i as u32;
        let short = truncate(&b.label, LABEL_EM);
        let wide = truncate(&b.label, WIDE_LABEL_EM);
        let text = |class: &str, hidden: &str, label: &str| {
            format!(
                "<text class=\"bar-label{class}\" x=\"0\" y=\"{}\" font-size=\"14\" \
                 fill=\"{INK}\"{hidden}>{}</text>",
                y + 16,
                xml_escape(label)
            )
        };
        let label = if short == wide {
            text("", "", &short)
        } else {
            text(" label-short", "", &short) + &text(" label-wide", " display=\"none\"", &wide)
        };
        out.push_str(&format!(
            "<g class=\"bar\" data-key=\"{key}\" data-label=\"{full}\" data-value=\"{v}\">\
             <title>{tip}</title>{label}\
             <text class=\"bar-value\" x=\"100%\" y=\"{ty}\" font-size=\"14\" font-weight=\"700\" \
             text-anchor=\"end\" fill=\"{INK}\">{v}</text>\
             <rect class=\"bar-track\" x=\"0\" y=\"{by}\" width=\"100%\" height=\"14\" rx=\"3\" fill=\"{TRACK}\"/>\
             <rect class=\"bar-fill\" x=\"0\" y=\"{by}\" width=\"{w}\" height=\"14\" rx=\"3\" fill=\"{BAR}\"/>\
             </g>\n",
            key = xml_escape(&b.key),
            full = xml_escape(&b.label),
            v = b.value,
            tip = xml_escape(&tip(b)),
            ty = y + 16,
            by = y + 23,
            w = pct(b.value, max),
        ));
    }
    out.push_str("</svg>");
    out
}

/// The narrowest chart the axis labels must fit (a phone held upright), in pixels.
const MIN_WIDTH: f64 = 288.0;

/// Vertical bars over time, oldest on the left, each labelled below by the lines of `axis`
/// (the release's number, then its month). Axis and value labels are thinned so they do not
/// overlap on a phone; the newest is always labelled.
fn vertical(
    id: &str,
    title: &str,
    desc: &str,
    bars: &[Bar],
    axis: &dyn Fn(&Bar) -> Vec<String>,
    tip: &dyn Fn(&Bar) -> String,
) -> String {
    const TOP: u32 = 22;
    const PLOT: u32 = 170;
    const LINE: u32 = 15;
    let base = TOP + PLOT;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0);
    let n = bars.len();
    // At least six slots, so one or two releases do not make slabs.
    let slots = n.max(6);
    let slot = 100.0 / slots as f64;
    let offset = (slots - n) as f64 * slot / 2.0;
    let labels: Vec<Vec<String>> = bars.iter().map(axis).collect();
    let widest = labels
        .iter()
        .flatten()
        .map(|l| text_em(l) * 11.0 + 4.0)
        .fold(0.0, f64::max);
    let lines = labels.iter().map(Vec::len).max().unwrap_or(0) as u32;
    // Every `step`-th bar is labelled, so that labels fit the slots of the narrowest chart.
    let step = ((slots as f64 * widest / MIN_WIDTH).ceil() as usize).max(1);
    let mut out = String::new();
    svg_open(
        &mut out,
        id,
        "chart-vbar",
        base + 12 + LINE * lines,
        title,
        desc,
    );
    for (i, b) in bars.iter().enumerate() {
        let h = if max == 0 {
            0
        } else {
            ((b.value as f64 * PLOT as f64 / max as f64).round() as u32).max(u32::from(b.value > 0))
        };
        let x = offset + slot * i as f64;
        out.push_str(&format!(
            "<g class=\"bar\" data-key=\"{key}\" data-label=\"{full}\" data-value=\"{v}\">\
             <title>{tip}</title>\
             <rect class=\"bar-fill\" x=\"{bx:.2}%\" y=\"{by}\" width=\"{bw:.2}%\" height=\"{h}\" fill=\"{BAR}\"/>",
            key = xml_escape(&b.key),
            full = xml_escape(&b.label),
            v = b.value,
            tip = xml_escape(&tip(b)),
            bx = x + slot * 0.2,
            by = base - h,
            bw = slot * 0.6,
        ));
        if (n - 1 - i).is_multiple_of(step) {
            let cx = x + slot / 2.0;
            out.push_str(&format!(
                "<text class=\"bar-value\" x=\"{cx:.2}%\" y=\"{vy}\" font-size=\"13\" \
                 font-weight=\"700\" text-anchor=\"middle\" fill=\"{INK}\">{v}</text>\
                 <text class=\"bar-axis\" y=\"{ay}\" font-size=\"11\" text-anchor=\"middle\" \
                 fill=\"{MUTED}\">",
                vy = base - h - 6,
                v = b.value,
                ay = base + 18,
            ));
            for (k, line) in labels[i].iter().enumerate() {
                out.push_str(&format!(
                    "<tspan x=\"{cx:.2}%\" dy=\"{dy}\">{}</tspan>",
                    xml_escape(line),
                    dy = if k == 0 { 0 } else { LINE },
                ));
            }
            out.push_str("</text>");
        }
        out.push_str("</g>\n");
    }
    out.push_str(&format!(
        "<line class=\"axis\" x1=\"0\" x2=\"100%\" y1=\"{base}.5\" y2=\"{base}.5\" stroke=\"{MUTED}\"/>\n</svg>"
    ));
    out
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
    fn labels_are_cut_by_width_and_sentences_lower_only_words() {
        assert_eq!(truncate("新材料", 18.0), "新材料");
        let long = "中国科学院宁波材料技术与工程研究所附属某某实验室";
        let cut = truncate(long, 18.0);
        assert!(cut.ends_with('…') && text_em(&cut) <= 18.0, "{cut}");
        assert_eq!(cut.chars().count(), 18);
        assert!(text_em(&truncate(&"Zhejiang University ".repeat(4), 18.0)) <= 18.0);
        assert_eq!(
            in_sentence("Results by {label}", "Transfer modes"),
            "Results by transfer modes"
        );
        assert_eq!(in_sentence("Results by {label}", "TRL"), "Results by TRL");
        assert_eq!(in_sentence("{label} by count", "Fields"), "Fields by count");
        assert_eq!(in_sentence("按{label}统计", "技术领域"), "按技术领域统计");
    }

    #[test]
    fn long_labels_are_drawn_short_and_wide_and_the_wide_one_hidden_without_css() {
        let bar = |label: &str| Bar {
            key: "k".into(),
            label: label.into(),
            value: 1,
            path: "/".into(),
            number: None,
            date: None,
        };
        let tip = |b: &Bar| b.label.clone();
        let short = horizontal("c", "t", "d", &[bar("浙江大学")], &tip);
        assert_eq!(short.matches("class=\"bar-label\"").count(), 1);
        assert!(!short.contains("display="));
        let long = "Ningbo Institute of Materials Technology and Engineering, CAS";
        let svg = horizontal("c", "t", "d", &[bar(long)], &tip);
        assert!(svg.contains("class=\"bar-label label-short\""), "{svg}");
        assert!(
            svg.contains("class=\"bar-label label-wide\" x=\"0\" y=\"16\" font-size=\"14\" fill=\"#1a1f29\" display=\"none\">"),
            "{svg}"
        );
        assert!(svg.contains(&format!("data-label=\"{long}\"")));
    }

    #[test]
    fn axis_labels_are_thinned_to_fit_a_phone_keeping_the_newest() {
        let bars: Vec<Bar> = (1..=40)
            .map(|i| Bar {
                key: format!("r{i}"),
                label: format!("第{i}批"),
                value: i,
                path: "/".into(),
                number: Some(i as i64),
                date: Some("2024-01-01".into()),
            })
            .collect();
        let axis = |b: &Bar| vec![b.label.clone(), "2024-01".to_string()];
        let tip = |b: &Bar| b.label.clone();
        let svg = vertical("c", "t", "d", &bars, &axis, &tip);
        let labelled = svg.matches("class=\"bar-axis\"").count();
        assert!(labelled > 1 && labelled <= 6, "{labelled} of 40 labelled");
        let last = svg
            .lines()
            .rev()
            .find(|l| l.contains("data-key=\"r40\""))
            .unwrap();
        assert!(last.contains("第40批"), "{last}");
        assert_eq!(svg.matches("class=\"bar\"").count(), 40);
        // Three releases all get their labels.
        let svg = vertical("c", "t", "d", &bars[..3], &axis, &tip);
        assert_eq!(svg.matches("class=\"bar-axis\"").count(), 3);
    }

    #[test]
    fn svg_escapes_labels_and_is_accessible() {
        let bars = vec![Bar {
            key: "b".into(),
            label: "<b>&\"x\"".into(),
            value: 3,
            path: "/x/".into(),
            number: Some(1),
            date: None,
        }];
        let tip = |b: &Bar| format!("{}: {}", b.label, b.value);
        for svg in [
            horizontal("chart-x", "T<", "D&", &bars, &tip),
            vertical(
                "chart-x",
                "T<",
                "D&",
                &bars,
                &|b| vec![b.label.clone()],
                &tip,
            ),
        ] {
            assert!(
                !svg.contains("<b>") && svg.contains("&lt;b&gt;&amp;&quot;x&quot;"),
                "{svg}"
            );
            assert!(svg.contains("role=\"img\""));
            assert!(svg.contains("aria-labelledby=\"chart-x-title chart-x-desc\""));
            assert!(svg.contains("<title id=\"chart-x-title\">T&lt;</title>"));
            assert!(svg.contains("<desc id=\"chart-x-desc\">D&amp;</desc>"));
            assert!(svg.contains("data-value=\"3\""));
        }
    }
}
