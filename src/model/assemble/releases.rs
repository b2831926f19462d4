//! Assembling releases: each `_release.toml` with its translations and introductions,
//! into the site's list of releases, newest first. Entries are attached by the caller.

use std::collections::BTreeMap;

use crate::diagnostics::Diagnostic;
use crate::load::discover::AssetSet;
use crate::model::assemble::{asset_path, text};
use crate::model::ids::{Lang, ReleaseId};
use crate::model::urls::Urls;
use crate::model::{Release, ReleaseText};
use crate::validate::Value;
use crate::validate::documents::Doc;

/// The releases of `metas` (checked `_release.toml` files of every language) and `intros`
/// (their introductions), newest first (then by number and id), without entries.
pub(super) fn assemble(
    metas: Vec<Doc>,
    intros: Vec<Doc>,
    default: &Lang,
    asset_set: &AssetSet<'_>,
    urls: &Urls,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Release> {
    let mut releases: BTreeMap<ReleaseId, Release> = BTreeMap::new();
    let mut release_translations = Vec::new();
    for d in metas {
        let Doc::ReleaseMeta {
            release,
            lang,
            source,
            fields,
        } = d
        else {
            continue;
        };
        if lang != *default {
            release_translations.push((release, lang, fields));
            continue;
        }
        let cover = text(&fields, "cover").and_then(|c| {
            asset_path(
                &source,
                fields.spans.get("cover"),
                "cover",
                &c,
                asset_set,
                urls,
            )
            .map_err(|d| diags.push(d))
            .ok()
        });
        let number = match fields.values.get("number") {
            Some(Value::Integer(n)) => *n,
            _ => 0,
        };
        let date = match fields.values.get("date") {
            Some(Value::Date(d)) => *d,
            _ => jiff::civil::Date::constant(1970, 1, 1),
        };
        let t = ReleaseText {
            title: text(&fields, "title").unwrap_or_default(),
            summary: text(&fields, "summary"),
            issuer: text(&fields, "issuer"),
            intro: None,
            intro_html: String::new(),
        };
        releases.insert(
            release.clone(),
            Release {
                id: release,
                source: source.path.clone(),
                number,
                date,
                cover,
                text: BTreeMap::from([(lang, t)]),
                entries: Vec::new(),
            },
        );
    }
    for (id, lang, fields) in release_translations {
        let Some(r) = releases.get_mut(&id) else {
            continue;
        };
        let base = r.text[default].clone();
        r.text.insert(
            lang,
            ReleaseText {
                title: text(&fields, "title").unwrap_or(base.title),
                summary: text(&fields, "summary").or(base.summary),
                issuer: text(&fields, "issuer").or(base.issuer),
                intro: None,
                intro_html: String::new(),
            },
        );
    }
    for d in intros {
        let Doc::ReleaseIntro {
            release,
            lang,
            source,
            body,
        } = d
        else {
            continue;
        };
        let Some(r) = releases.get_mut(&release) else {
            continue;
        };
        let base = r.text[default].clone();
        let t = r.text.entry(lang).or_insert(ReleaseText {
            intro: None,
            intro_html: String::new(),
            ..base
        });
        t.intro = Some((source, body));
    }
    let mut release_list: Vec<Release> = releases.into_values().collect();
    release_list.sort_by(|a, b| {
        b.date
            .cmp(&a.date)
            .then(b.number.cmp(&a.number))
            .then(a.id.cmp(&b.id))
    });
    release_list
}
