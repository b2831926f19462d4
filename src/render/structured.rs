//! Structured data for machines that read a page: schema.org JSON-LD for entry and release
//! pages, and the Open Graph locale of a language. A result is a `Product` + `CreativeWork`
//! that `isPartOf` its release, a `PublicationIssue` of the site's `CreativeWorkSeries`; a
//! release page is a `CollectionPage` whose main entity is an `ItemList` of its public
//! entries. Fields are read by the names the sample schema uses (`institutions`, `keywords`,
//! `fields`, `stage`, `trl`, `modes`, `contact`); a schema without them just yields less.
//! Node ids (`@id`) use default-language URLs so every language describes the same things.
//! It builds JSON values and the escaped script text (templates only print that text); it
//! does not render templates, and lists no draft or embargoed entry.

use serde_json::{Map, Value as Json, json};

use crate::model::Site;
use crate::model::ids::Lang;
use crate::render::context::enum_label;
use crate::validate::Value;

const SCHEMA_ORG: &str = "https://schema.org";

/// GoodRelations business functions (the values schema.org's `businessFunction` expects).
const GOOD_RELATIONS: &str = "http://purl.org/goodrelations/v1#";

/// The business function of a transfer mode: selling the rights outright (transfer, or
/// contributing them as equity), licensing them, or a service around them.
fn business_function(mode: &str) -> Option<&'static str> {
    match mode {
        "transfer" | "equity" => Some("Sell"),
        "licence" | "license" => Some("LeaseOut"),
        "joint-development" | "commissioned-development" | "consulting" => Some("ProvideService"),
        _ => None,
    }
}

/// JSON-LD text safe inside `<script type="application/ld+json">`: `<`, `>` and `&` only
/// occur inside JSON strings, where `\u003c`-style escapes mean the same, so `</script>` or
/// `<!--` in the data cannot end the script element.
pub fn script_text(v: &Json) -> String {
    let text = serde_json::to_string(v).unwrap_or_default();
    let mut out = String::with_capacity(text.len() + 16);
    let mut kept = 0; // `text[kept..i]` is still to be copied as it is
    for (i, b) in text.bytes().enumerate() {
        let escape = match b {
            b'<' => "\\u003c",
            b'>' => "\\u003e",
            b'&' => "\\u0026",
            _ => continue,
        };
        out.push_str(&text[kept..i]);
        out.push_str(escape);
        kept = i + 1;
    }
    out.push_str(&text[kept..]);
    out
}

/// The Open Graph locale (`language_TERRITORY`) of a language code: the subtag when there is
/// one (`zh-tw` → `zh_TW`), else the territory where the language is mostly read online.
pub fn og_locale(lang: &Lang) -> String {
    let code = lang.as_str();
    if let Some((main, sub)) = code.split_once('-') {
        return match sub {
            "hant" => format!("{main}_TW"),
            "hans" => format!("{main}_CN"),
            s => format!("{main}_{}", s.to_ascii_uppercase()),
        };
    }
    let territory = match code {
        "zh" => "CN",
        "en" => "US",
        "ja" => "JP",
        "ko" => "KR",
        "fr" => "FR",
        "de" => "DE",
        "es" => "ES",
        "ru" => "RU",
        "pt" => "BR",
        "it" => "IT",
        _ => return code.to_string(),
    };
    format!("{code}_{territory}")
}

fn organization(name: &str) -> Json {
    json!({ "@type": "Organization", "name": name })
}

/// The site as a series of publications.
fn series(site: &Site, lang: &Lang) -> Json {
    let u = &site.urls;
    json!({
        "@type": "CreativeWorkSeries",
        "@id": format!("{}#series", u.permalink(&u.home(site.default_lang()))),
        "name": site.config.title_in(lang),
        "url": u.permalink(&u.home(lang)),
    })
}

/// Release `i` as an issue of the series.
fn issue(site: &Site, i: usize, lang: &Lang) -> Json {
    let u = &site.urls;
    let r = &site.releases[i];
    let t = r.text.get(lang).unwrap_or(&r.text[site.default_lang()]);
    let mut m = Map::new();
    m.insert("@type".into(), "PublicationIssue".into());
    m.insert(
        "@id".into(),
        format!(
            "{}#issue",
            u.permalink(&u.release(site.default_lang(), &r.id))
        )
        .into(),
    );
    m.insert("issueNumber".into(), r.number.to_string().into());
    m.insert("name".into(), t.title.clone().into());
    m.insert("datePublished".into(), r.date.to_string().into());
    m.insert("url".into(), u.permalink(&u.release(lang, &r.id)).into());
    if let Some(issuer) = &t.issuer {
        m.insert("publisher".into(), organization(issuer));
    }
    m.insert("isPartOf".into(), series(site, lang));
    Json::Object(m)
}

fn table_text<'v>(values: &'v Value, key: &str) -> Option<&'v str> {
    match values {
        Value::Table(t) => t.get(key).and_then(Value::as_text),
        _ => None,
    }
}

/// JSON-LD of entry `i` on its page in `lang`; `image` is the cover's absolute URL.
pub fn entry(site: &Site, i: usize, lang: &Lang, image: Option<String>) -> Json {
    let u = &site.urls;
    let default = site.default_lang();
    let e = &site.entries[i];
    let v = e.version(lang, default);
    let texts = |name: &str| -> Vec<String> {
        v.values
            .get(name)
            .map(|x| x.texts().into_iter().map(str::to_string).collect())
            .unwrap_or_default()
    };
    let label = |name: &str| {
        site.config
            .schema
            .fields
            .get(name)
            .map(|f| {
                f.label
                    .get(lang.as_str(), default.as_str(), name)
                    .to_string()
            })
            .unwrap_or_else(|| name.to_string())
    };
    let mut m = Map::new();
    m.insert("@context".into(), SCHEMA_ORG.into());
    m.insert("@type".into(), json!(["Product", "CreativeWork"]));
    m.insert(
        "@id".into(),
        format!(
            "{}#result",
            u.permalink(&u.entry(default, &e.release, &e.slug))
        )
        .into(),
    );
    m.insert(
        "identifier".into(),
        format!("{}/{}", e.release, e.slug).into(),
    );
    m.insert(
        "url".into(),
        u.permalink(&u.entry(lang, &e.release, &e.slug)).into(),
    );
    m.insert("name".into(), v.title.clone().into());
    if let Some(s) = &v.summary {
        m.insert("abstract".into(), s.clone().into());
        m.insert("description".into(), s.clone().into());
    }
    m.insert("inLanguage".into(), lang.as_str().into());
    m.insert("datePublished".into(), e.date.to_string().into());
    if let Some(img) = image {
        m.insert("image".into(), img.into());
    }
    let institutions = texts("institutions");
    if let Some(lead) = institutions.first() {
        m.insert(
            "creator".into(),
            institutions.iter().map(|n| organization(n)).collect(),
        );
        m.insert("sourceOrganization".into(), organization(lead));
    }
    let keywords = texts("keywords");
    if !keywords.is_empty() {
        m.insert("keywords".into(), keywords.into());
    }
    let fields: Vec<String> = texts("fields")
        .iter()
        .map(|k| enum_label(site, "fields", k, lang))
        .collect();
    if !fields.is_empty() {
        m.insert("category".into(), fields.into());
    }
    m.insert("isPartOf".into(), issue(site, e.release_index, lang));

    let mut props = Vec::new();
    if let Some(Value::Integer(trl)) = v.values.get("trl") {
        props.push(json!({
            "@type": "PropertyValue",
            "propertyID": "TRL",
            "name": label("trl"),
            "description": "Technology readiness level (1–9)",
            "value": trl,
            "minValue": 1,
            "maxValue": 9,
        }));
    }
    if let Some(stage) = v.values.get("stage").and_then(Value::as_text) {
        props.push(json!({
            "@type": "PropertyValue",
            "propertyID": "stage",
            "name": label("stage"),
            "value": enum_label(site, "stage", stage, lang),
        }));
    }
    if !props.is_empty() {
        m.insert("additionalProperty".into(), props.into());
    }

    let modes = texts("modes");
    if !modes.is_empty() {
        let contact = v.values.get("contact");
        let field = |k: &str| contact.and_then(|c| table_text(c, k));
        let mut point = Map::new();
        point.insert("@type".into(), "ContactPoint".into());
        point.insert("contactType".into(), "technology transfer".into());
        for (key, prop) in [("name", "name"), ("phone", "telephone"), ("email", "email")] {
            if let Some(x) = field(key) {
                point.insert(prop.into(), x.into());
            }
        }
        // The offer comes from the contact's organisation, else the lead institution, else
        // from the contact person.
        let offered_by = match field("org").or(institutions.first().map(String::as_str)) {
            Some(org) => json!({ "@type": "Organization", "name": org, "contactPoint": point }),
            None => json!({
                "@type": "Person",
                "name": field("name").unwrap_or_default(),
                "contactPoint": point,
            }),
        };
        let offers: Vec<Json> = modes
            .iter()
            .map(|mode| {
                let mut o = Map::new();
                o.insert("@type".into(), "Offer".into());
                o.insert("name".into(), enum_label(site, "modes", mode, lang).into());
                if let Some(f) = business_function(mode) {
                    o.insert(
                        "businessFunction".into(),
                        format!("{GOOD_RELATIONS}{f}").into(),
                    );
                }
                o.insert("offeredBy".into(), offered_by.clone());
                Json::Object(o)
            })
            .collect();
        m.insert("offers".into(), offers.into());
    }
    Json::Object(m)
}

/// JSON-LD of release `i`'s page in `lang`: its public entries as an `ItemList`.
pub fn release(site: &Site, i: usize, lang: &Lang) -> Json {
    let u = &site.urls;
    let default = site.default_lang();
    let r = &site.releases[i];
    let t = r.text.get(lang).unwrap_or(&r.text[default]);
    let items: Vec<Json> = r
        .entries
        .iter()
        .map(|&e| &site.entries[e])
        .filter(|e| e.hold.is_none())
        .enumerate()
        .map(|(n, e)| {
            let shown = if e.versions.contains_key(lang) {
                lang
            } else {
                default
            };
            json!({
                "@type": "ListItem",
                "position": n + 1,
                "url": u.permalink(&u.entry(shown, &e.release, &e.slug)),
                "name": e.version(lang, default).title,
            })
        })
        .collect();
    let mut m = Map::new();
    m.insert("@context".into(), SCHEMA_ORG.into());
    m.insert("@type".into(), "CollectionPage".into());
    let permalink = u.permalink(&u.release(lang, &r.id));
    m.insert("@id".into(), permalink.clone().into());
    m.insert("url".into(), permalink.into());
    m.insert("name".into(), t.title.clone().into());
    if let Some(s) = &t.summary {
        m.insert("description".into(), s.clone().into());
    }
    m.insert("inLanguage".into(), lang.as_str().into());
    m.insert("datePublished".into(), r.date.to_string().into());
    m.insert("about".into(), issue(site, i, lang));
    m.insert(
        "mainEntity".into(),
        json!({
            "@type": "ItemList",
            "numberOfItems": items.len(),
            "itemListElement": items,
        }),
    );
    Json::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_text_cannot_close_the_script_element() {
        let v = json!({ "name": "</script><script>alert(1)</script> & <!--" });
        let s = script_text(&v);
        assert!(
            !s.contains('<') && !s.contains('>') && !s.contains('&'),
            "{s}"
        );
        let back: Json = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn open_graph_locales() {
        let l = |s: &str| og_locale(&Lang::parse(s).unwrap());
        assert_eq!(l("zh"), "zh_CN");
        assert_eq!(l("en"), "en_US");
        assert_eq!(l("zh-hant"), "zh_TW");
        assert_eq!(l("en-gb"), "en_GB");
        assert_eq!(l("eo"), "eo");
    }
}
