//! Drawing a statistics chart as SVG: horizontal bars for categories, vertical bars for
//! releases over time, label widths estimated per character (no font metrics at build time).
//! It draws what it is given: which bars, in which order and with which words is decided in
//! the parent module.

use crate::render::charts::Bar;
use crate::render::xml::xml_escape;

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
pub(super) fn horizontal(
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
pub(super) fn vertical(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_cut_by_width() {
        assert_eq!(truncate("新材料", 18.0), "新材料");
        let long = "中国科学院宁波材料技术与工程研究所附属某某实验室";
        let cut = truncate(long, 18.0);
        assert!(cut.ends_with('…') && text_em(&cut) <= 18.0, "{cut}");
        assert_eq!(cut.chars().count(), 18);
        assert!(text_em(&truncate(&"Zhejiang University ".repeat(4), 18.0)) <= 18.0);
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
