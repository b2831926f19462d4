//! Structured data for machines that read a page: schema.org JSON-LD for entry and release
//! pages, and the Open Graph locale of a language. A result is a `Product` + `CreativeWork`
//! that `isPartOf` its release, a `PublicationIssue` of the site's `CreativeWorkSeries`; a
//! release page is a `CollectionPage` whose main entity is an `ItemList` of its public
//! entries. Fields are read by the names the sample schema uses (`institutions`, `keywords`,
//! `fields`, `stage`, `trl`, `modes`, `contact`); a schema without them just yields less.
//! Node ids (`@id`) use default-language URLs so every language describes the same things.
//! It builds JSON values and the escaped script text (templates only print that text); it
//! does not render templates, and lists no draft or embargoed entry.

use serde::Serialize;

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
pub fn script_text(v: &impl Serialize) -> String {
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

// The JSON-LD nodes, as typed values serialized in field order (serde_json keeps it).

#[derive(Serialize, Clone, Copy)]
struct Organization<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    name: &'a str,
}

fn organization(name: &str) -> Organization<'_> {
    Organization {
        kind: "Organization",
        name,
    }
}

#[derive(Serialize)]
struct Series<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "@id")]
    id: String,
    name: &'a str,
    url: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Issue<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "@id")]
    id: String,
    issue_number: String,
    name: &'a str,
    date_published: String,
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    publisher: Option<Organization<'a>>,
    is_part_of: Series<'a>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum PropertyValue {
    Number(i64),
    Text(String),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Property {
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "propertyID")]
    property_id: &'static str,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'static str>,
    value: PropertyValue,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_value: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_value: Option<i64>,
}

#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
struct ContactPoint<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    contact_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    telephone: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
}

/// Who offers a result: an organisation or a person, with the contact point.
#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
struct Agent<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    name: &'a str,
    contact_point: ContactPoint<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Offer<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    business_function: Option<String>,
    offered_by: Agent<'a>,
}

/// An entry: a `Product` + `CreativeWork`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Work<'a> {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@type")]
    kind: [&'static str; 2],
    #[serde(rename = "@id")]
    id: String,
    identifier: String,
    url: String,
    name: &'a str,
    #[serde(rename = "abstract", skip_serializing_if = "Option::is_none")]
    summary: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    in_language: &'a str,
    date_published: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    creator: Option<Vec<Organization<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_organization: Option<Organization<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    keywords: Vec<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    category: Vec<String>,
    is_part_of: Issue<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    additional_property: Vec<Property>,
    #[serde(skip_serializing_if = "Option::is_none")]
    offers: Option<Vec<Offer<'a>>>,
    /// What the entry's `ref` fields name and who names it (a pilot base, demands it
    /// answers), by the `@id` of their default-language pages.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    is_related_to: Vec<Related>,
}

/// A node another item's JSON-LD points to by its page.
#[derive(Serialize)]
struct Related {
    #[serde(rename = "@id")]
    id: String,
    name: String,
}

/// The `@id`s (default-language URLs) and names of the items `who` refers to or is referred
/// to by, public ones only, in model order.
fn related(site: &Site, who: crate::model::refs::ItemRef) -> Vec<Related> {
    use crate::model::refs::ItemRef;
    let default = site.default_lang();
    let public = |r: &ItemRef| match *r {
        ItemRef::Entry(i) => site.entries[i].hold.is_none(),
        ItemRef::Item { collection, item } => {
            site.collections[collection].items[item].hold.is_none()
        }
        ItemRef::Release(_) => true,
    };
    let mut out: Vec<ItemRef> = Vec::new();
    for (_, targets) in site.links.outgoing.get(&who).into_iter().flatten() {
        out.extend(targets.iter().filter(|t| public(t)));
    }
    for (_, from) in site.links.incoming.get(&who).into_iter().flatten() {
        if public(from) && !out.contains(from) {
            out.push(*from);
        }
    }
    out.into_iter()
        .map(|r| {
            let (name, url) = crate::render::market::title_and_url(site, r, default);
            Related {
                id: site.urls.permalink(
                    url.strip_prefix(&site.config.base_url.path_prefix)
                        .unwrap_or(&url),
                ),
                name,
            }
        })
        .collect()
}

#[derive(Serialize)]
struct ListItem<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    position: usize,
    url: String,
    name: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ItemList<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    number_of_items: usize,
    item_list_element: Vec<ListItem<'a>>,
}

/// A release page: a `CollectionPage`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Collection<'a> {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "@id")]
    id: String,
    url: String,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    in_language: &'a str,
    date_published: String,
    about: Issue<'a>,
    main_entity: ItemList<'a>,
}

/// The site as a series of publications.
fn series<'a>(site: &'a Site, lang: &Lang) -> Series<'a> {
    let u = &site.urls;
    Series {
        kind: "CreativeWorkSeries",
        id: format!("{}#series", u.permalink(&u.home(site.default_lang()))),
        name: site.config.title_in(lang),
        url: u.permalink(&u.home(lang)),
    }
}

/// Release `i` as an issue of the series.
fn issue<'a>(site: &'a Site, i: usize, lang: &Lang) -> Issue<'a> {
    let u = &site.urls;
    let r = &site.releases[i];
    let t = r.text.get(lang).unwrap_or(&r.text[site.default_lang()]);
    Issue {
        kind: "PublicationIssue",
        id: format!(
            "{}#issue",
            u.permalink(&u.release(site.default_lang(), &r.id))
        ),
        issue_number: r.number.to_string(),
        name: &t.title,
        date_published: r.date.to_string(),
        url: u.permalink(&u.release(lang, &r.id)),
        publisher: t.issuer.as_deref().map(organization),
        is_part_of: series(site, lang),
    }
}

fn table_text<'v>(values: &'v Value, key: &str) -> Option<&'v str> {
    match values {
        Value::Table(t) => t.get(key).and_then(Value::as_text),
        _ => None,
    }
}

/// JSON-LD of entry `i` on its page in `lang`; `image` is the cover's absolute URL.
pub fn entry<'a>(site: &'a Site, i: usize, lang: &'a Lang, image: Option<String>) -> Work<'a> {
    let u = &site.urls;
    let default = site.default_lang();
    let e = &site.entries[i];
    let v = e.version(lang, default);
    let texts =
        |name: &str| -> Vec<&'a str> { v.values.get(name).map(|x| x.texts()).unwrap_or_default() };
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
    let institutions = texts("institutions");
    let mut props = Vec::new();
    if let Some(Value::Integer(trl)) = v.values.get("trl") {
        props.push(Property {
            kind: "PropertyValue",
            property_id: "TRL",
            name: label("trl"),
            description: Some("Technology readiness level (1–9)"),
            value: PropertyValue::Number(*trl),
            min_value: Some(1),
            max_value: Some(9),
        });
    }
    if let Some(stage) = v.values.get("stage").and_then(Value::as_text) {
        props.push(Property {
            kind: "PropertyValue",
            property_id: "stage",
            name: label("stage"),
            description: None,
            value: PropertyValue::Text(enum_label(site, "stage", stage, lang)),
            min_value: None,
            max_value: None,
        });
    }
    let modes = texts("modes");
    let contact = v.values.get("contact");
    let field = |k: &str| contact.and_then(|c| table_text(c, k));
    // The offer comes from the contact's organisation, else the lead institution, else
    // from the contact person.
    let (kind, name) = match field("org").or(institutions.first().copied()) {
        Some(org) => ("Organization", org),
        None => ("Person", field("name").unwrap_or_default()),
    };
    let offered_by = Agent {
        kind,
        name,
        contact_point: ContactPoint {
            kind: "ContactPoint",
            contact_type: "technology transfer",
            name: field("name"),
            telephone: field("phone"),
            email: field("email"),
        },
    };
    let offers = (!modes.is_empty()).then(|| {
        modes
            .iter()
            .map(|mode| Offer {
                kind: "Offer",
                name: enum_label(site, "modes", mode, lang),
                business_function: business_function(mode).map(|f| format!("{GOOD_RELATIONS}{f}")),
                offered_by: offered_by.clone(),
            })
            .collect()
    });
    Work {
        context: SCHEMA_ORG,
        kind: ["Product", "CreativeWork"],
        id: format!(
            "{}#result",
            u.permalink(&u.entry(default, &e.release, &e.slug))
        ),
        identifier: format!("{}/{}", e.release, e.slug),
        url: u.permalink(&u.entry(lang, &e.release, &e.slug)),
        name: &v.title,
        summary: v.summary.as_deref(),
        description: v.summary.as_deref(),
        in_language: lang.as_str(),
        date_published: e.date.to_string(),
        image,
        creator: (!institutions.is_empty())
            .then(|| institutions.iter().map(|n| organization(n)).collect()),
        source_organization: institutions.first().map(|n| organization(n)),
        keywords: texts("keywords"),
        category: texts("fields")
            .iter()
            .map(|k| enum_label(site, "fields", k, lang))
            .collect(),
        is_part_of: issue(site, e.release_index, lang),
        additional_property: props,
        offers,
        is_related_to: related(site, crate::model::refs::ItemRef::Entry(i)),
    }
}

/// JSON-LD of release `i`'s page in `lang`: its public entries as an `ItemList`.
pub fn release<'a>(site: &'a Site, i: usize, lang: &'a Lang) -> Collection<'a> {
    let u = &site.urls;
    let default = site.default_lang();
    let r = &site.releases[i];
    let t = r.text.get(lang).unwrap_or(&r.text[default]);
    let items: Vec<ListItem> = r
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
            ListItem {
                kind: "ListItem",
                position: n + 1,
                url: u.permalink(&u.entry(shown, &e.release, &e.slug)),
                name: &e.version(lang, default).title,
            }
        })
        .collect();
    let permalink = u.permalink(&u.release(lang, &r.id));
    Collection {
        context: SCHEMA_ORG,
        kind: "CollectionPage",
        id: permalink.clone(),
        url: permalink,
        name: &t.title,
        description: t.summary.as_deref(),
        in_language: lang.as_str(),
        date_published: r.date.to_string(),
        about: issue(site, i, lang),
        main_entity: ItemList {
            kind: "ItemList",
            number_of_items: items.len(),
            item_list_element: items,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value as Json, json};

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
