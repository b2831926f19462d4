//! Scaffolding: `gazette new release`, `gazette new entry` and `gazette init`. It writes new
//! files only, never overwrites one, and produces files that validate as they are.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use crate::config::{self, FieldDef, FieldKind};
use crate::model::ids::{ReleaseId, Slug};

/// Why scaffolding failed.
#[derive(Debug)]
pub enum ScaffoldError {
    Exists(PathBuf),
    BadReleaseId(String),
    NoRelease(String),
    BadTitle(String),
    /// No `[collections.<name>]` of that name; the names the site has.
    NoCollection(String, Vec<String>),
    Io(PathBuf, std::io::Error),
    Config(String),
}

impl fmt::Display for ScaffoldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScaffoldError::Exists(p) => {
                write!(f, "{} already exists; nothing was written", p.display())
            }
            ScaffoldError::BadReleaseId(id) => write!(
                f,
                "`{id}` is not a valid release id (use lowercase letters, digits, '-' and '_', e.g. 2025-02)"
            ),
            ScaffoldError::NoCollection(name, names) => write!(
                f,
                "site.toml declares no [collections.{name}] (it has: {})",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            ),
            ScaffoldError::NoRelease(id) => write!(
                f,
                "release `{id}` does not exist; create it with `gazette new release {id}`"
            ),
            ScaffoldError::BadTitle(t) => write!(f, "cannot make a file name from the title `{t}`"),
            ScaffoldError::Io(p, e) => write!(f, "{}: {e}", p.display()),
            ScaffoldError::Config(m) => write!(f, "site.toml: {m}"),
        }
    }
}

impl std::error::Error for ScaffoldError {}

fn write_new(path: &Path, text: impl AsRef<[u8]>) -> Result<(), ScaffoldError> {
    if path.exists() {
        return Err(ScaffoldError::Exists(path.to_path_buf()));
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| ScaffoldError::Io(parent.to_path_buf(), e))?;
    }
    fs::write(path, text).map_err(|e| ScaffoldError::Io(path.to_path_buf(), e))
}

fn today() -> String {
    jiff::ZonedDateTime::now().date().to_string()
}

fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// `gazette new release <id>`: `content/releases/<id>/_release.toml` with the next number.
pub fn new_release(root: &Path, id: &str) -> Result<PathBuf, ScaffoldError> {
    let id = ReleaseId::parse(id).ok_or_else(|| ScaffoldError::BadReleaseId(id.to_string()))?;
    let dir = root.join("content/releases").join(id.as_str());
    if dir.exists() {
        return Err(ScaffoldError::Exists(dir));
    }
    let path = dir.join("_release.toml");
    let text = format!(
        "# Release {id}. Required: number, title, date. Optional: summary, issuer, cover.\n\
         number = 1\n\
         title = {}\n\
         date = {}\n\
         # summary = \"\"\n\
         # issuer = \"\"\n\
         # cover = \"cover.jpg\"\n",
        quote(&format!("Release {id}")),
        today()
    );
    write_new(&path, &text)?;
    Ok(path)
}

/// A placeholder value that passes validation for `def`.
fn placeholder(def: &FieldDef, title: &str) -> String {
    match &def.kind {
        FieldKind::Text { .. } if &*def.name == "title" => quote(title),
        // A ref must name an existing item: the build says so until the editor fills it in.
        FieldKind::Text { .. } | FieldKind::Markdown | FieldKind::Ref { .. } => quote("TODO"),
        FieldKind::Integer { min, .. } => min.unwrap_or(0).to_string(),
        FieldKind::Enum { options } => quote(&options[0].key),
        FieldKind::List { item } => format!("[{}]", placeholder(item, title)),
        FieldKind::Date => today(),
        FieldKind::DateTime => format!("{}T00:00:00+08:00", today()),
        FieldKind::Url => quote("https://example.org/"),
        FieldKind::Email => quote("contact@example.org"),
        FieldKind::Bool => "false".into(),
        FieldKind::Table { fields } => {
            let parts: Vec<String> = fields
                .values()
                .filter(|f| f.required)
                .map(|f| format!("{} = {}", f.name, placeholder(f, title)))
                .collect();
            format!("{{ {} }}", parts.join(", "))
        }
    }
}

fn options_comment(def: &FieldDef) -> String {
    match def.kind.enum_options() {
        Some(o) => format!(
            "  # one of: {}",
            o.iter()
                .map(|o| o.key.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => String::new(),
    }
}

/// The front matter of a new entry: required fields filled, optional ones commented out.
pub fn entry_front_matter(schema: &config::Schema, title: &str) -> String {
    let mut plain = String::new();
    let mut tables = String::new();
    for def in schema.fields.values() {
        let c = if def.required { "" } else { "# " };
        match &def.kind {
            FieldKind::Table { fields } => {
                tables.push_str(&format!("\n{c}[{}]\n", def.name));
                for f in fields.values() {
                    let fc = if def.required && f.required { "" } else { "# " };
                    tables.push_str(&format!(
                        "{fc}{} = {}{}\n",
                        f.name,
                        placeholder(f, title),
                        options_comment(f)
                    ));
                }
            }
            FieldKind::List { item } if matches!(item.kind, FieldKind::Table { .. }) => {
                let FieldKind::Table { fields } = &item.kind else {
                    continue;
                };
                tables.push_str(&format!("\n{c}[[{}]]\n", def.name));
                for f in fields.values() {
                    tables.push_str(&format!(
                        "{c}{} = {}{}\n",
                        f.name,
                        placeholder(f, title),
                        options_comment(f)
                    ));
                }
            }
            _ => plain.push_str(&format!(
                "{c}{} = {}{}\n",
                def.name,
                placeholder(def, title),
                options_comment(def)
            )),
        }
    }
    format!("+++\n{plain}{tables}+++\n")
}

fn load_config(root: &Path) -> Result<config::SiteConfig, ScaffoldError> {
    config::load(root).map(|(c, _)| c).map_err(|d| {
        ScaffoldError::Config(
            d.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}

/// `gazette new item <collection> <title>`: a Markdown item with every field of the
/// collection's schema present (required ones filled, optional ones commented).
pub fn new_item(root: &Path, collection: &str, title: &str) -> Result<PathBuf, ScaffoldError> {
    let config = load_config(root)?;
    let Some(def) = config
        .collections
        .iter()
        .find(|c| c.name.as_str() == collection)
    else {
        let names = config
            .collections
            .iter()
            .map(|c| c.name.to_string())
            .collect();
        return Err(ScaffoldError::NoCollection(collection.into(), names));
    };
    let slug = Slug::from_text(title).ok_or_else(|| ScaffoldError::BadTitle(title.into()))?;
    let dir = root.join("content").join(collection);
    if dir.join(format!("{slug}.toml")).exists() {
        return Err(ScaffoldError::Exists(dir.join(format!("{slug}.toml"))));
    }
    let path = dir.join(format!("{slug}.md"));
    write_new(
        &path,
        format!("{}\nTODO\n", entry_front_matter(&def.schema, title)),
    )?;
    Ok(path)
}

/// `gazette new entry <release> <title>`: a Markdown entry with every schema field present.
pub fn new_entry(root: &Path, release: &str, title: &str) -> Result<PathBuf, ScaffoldError> {
    let config = load_config(root)?;
    let id =
        ReleaseId::parse(release).ok_or_else(|| ScaffoldError::BadReleaseId(release.into()))?;
    let dir = root.join("content/releases").join(id.as_str());
    if !dir.join("_release.toml").exists() {
        return Err(ScaffoldError::NoRelease(release.to_string()));
    }
    let slug = Slug::from_text(title).ok_or_else(|| ScaffoldError::BadTitle(title.into()))?;
    let path = dir.join(format!("{slug}.md"));
    if dir.join(format!("{slug}.toml")).exists() {
        return Err(ScaffoldError::Exists(dir.join(format!("{slug}.toml"))));
    }
    let text = format!(
        "{}\n## 技术简介\n\nTODO\n",
        entry_front_matter(&config.schema, title)
    );
    write_new(&path, &text)?;
    Ok(path)
}

/// The default theme, compiled in so `init` works anywhere.
const THEME_FILES: &[(&str, &str)] = &[
    (
        "templates/base.html",
        include_str!("../../themes/default/templates/base.html"),
    ),
    (
        "templates/home.html",
        include_str!("../../themes/default/templates/home.html"),
    ),
    (
        "templates/releases.html",
        include_str!("../../themes/default/templates/releases.html"),
    ),
    (
        "templates/release.html",
        include_str!("../../themes/default/templates/release.html"),
    ),
    (
        "templates/entry.html",
        include_str!("../../themes/default/templates/entry.html"),
    ),
    (
        "templates/taxonomy.html",
        include_str!("../../themes/default/templates/taxonomy.html"),
    ),
    (
        "templates/term.html",
        include_str!("../../themes/default/templates/term.html"),
    ),
    (
        "templates/page.html",
        include_str!("../../themes/default/templates/page.html"),
    ),
    (
        "templates/404.html",
        include_str!("../../themes/default/templates/404.html"),
    ),
    (
        "templates/card.html",
        include_str!("../../themes/default/templates/card.html"),
    ),
    (
        "templates/stats.html",
        include_str!("../../themes/default/templates/stats.html"),
    ),
    (
        "templates/search.html",
        include_str!("../../themes/default/templates/search.html"),
    ),
    (
        "templates/collection.html",
        include_str!("../../themes/default/templates/collection.html"),
    ),
    (
        "templates/item.html",
        include_str!("../../themes/default/templates/item.html"),
    ),
    (
        "templates/matches.html",
        include_str!("../../themes/default/templates/matches.html"),
    ),
    (
        "templates/backlinks.html",
        include_str!("../../themes/default/templates/backlinks.html"),
    ),
    (
        "templates/item_card.html",
        include_str!("../../themes/default/templates/item_card.html"),
    ),
    (
        "templates/pagination.html",
        include_str!("../../themes/default/templates/pagination.html"),
    ),
    (
        "static/favicon.svg",
        include_str!("../../themes/default/static/favicon.svg"),
    ),
    (
        "static/style.css",
        include_str!("../../themes/default/static/style.css"),
    ),
    (
        "strings.toml",
        include_str!("../../themes/default/strings.toml"),
    ),
];

/// The default theme's icons.
const THEME_BINARY: &[(&str, &[u8])] = &[
    (
        "static/favicon.ico",
        include_bytes!("../../themes/default/static/favicon.ico"),
    ),
    (
        "static/apple-touch-icon.png",
        include_bytes!("../../themes/default/static/apple-touch-icon.png"),
    ),
];

const INIT_SITE: &str = include_str!("init_site.toml");

/// `gazette init <dir>`: a minimal site that builds as it is.
pub fn init(dir: &Path) -> Result<PathBuf, ScaffoldError> {
    if dir.join("site.toml").exists() {
        return Err(ScaffoldError::Exists(dir.join("site.toml")));
    }
    write_new(&dir.join("site.toml"), INIT_SITE)?;
    for (rel, text) in THEME_FILES {
        write_new(&dir.join("themes/default").join(rel), text)?;
    }
    for (rel, bytes) in THEME_BINARY {
        write_new(&dir.join("themes/default").join(rel), bytes)?;
    }
    write_new(
        &dir.join("content/releases/first/_release.toml"),
        format!(
            "number = 1\ntitle = \"第1批科技成果\"\ndate = {}\n",
            today()
        ),
    )?;
    write_new(
        &dir.join("content/releases/first/example.md"),
        "+++\ntitle = \"示例成果\"\nsummary = \"一句话说明这项成果是什么、能做什么。\"\ninstitutions = [\"示例大学\"]\nstage = \"research\"\n\n[contact]\nname = \"联系人\"\nemail = \"contact@example.org\"\n+++\n\n## 技术简介\n\n在这里介绍成果。\n",
    )?;
    write_new(
        &dir.join("content/pages/about.md"),
        "+++\ntitle = \"关于\"\n+++\n\n本站用 Gazette 生成。\n",
    )?;
    write_new(
        &dir.join("content/demands/example-demand.md"),
        format!(
            "+++\ntitle = \"示例技术需求\"\nsummary = \"企业希望解决的技术问题。\"\ncompany = \"示例企业\"\ndemand_type = \"tackle\"\nrelease = \"first\"\ndate = {}\n\n[contact]\nname = \"联系人\"\n+++\n\n在这里描述需求。\n",
            today()
        ),
    )?;
    write_new(
        &dir.join("content/bases/example-base.md"),
        "+++\ntitle = \"示例中试基地\"\nsummary = \"基地能为成果做什么。\"\noperator = \"示例运营单位\"\nregion = \"示例市\"\n\n[contact]\nname = \"联系人\"\n+++\n",
    )?;
    // The output and, beside it, what Gazette keeps between builds (see `sink::disk`), and
    // the link checker's cache.
    write_new(
        &dir.join(".gitignore"),
        "output/\n.output.gazette/\n.gazette-cache/\n",
    )?;
    Ok(dir.to_path_buf())
}
