#!/usr/bin/env bash
# Turn a site written by examples/gen_corpus.rs into an equivalent Hugo site, for timing Hugo
# against Gazette on the same content (benches/rebuild.sh):
#
#   benches/hugo_site.sh GAZETTE_SITE HUGO_SITE
#
# The entries keep their paths (content/releases/<release>/<slug>.md, translations
# <slug>.en.md, their images beside them) and their TOML front matter, which Hugo reads as
# is; each release's _release.toml and _release.md become the section's _index.md (and
# _index.en.md). Hugo gets two languages (zh, en, translations by file name), four
# taxonomies (institutions, fields, stage, keywords), and small layouts that show what
# Gazette's default theme shows of an entry (title, summary, institutions, fields, stage,
# body, contact) and list pages of 20 with title and summary. Hugo's own defaults add an RSS
# feed per list and a sitemap. Drafts and entries embargoed until 2099 (publishDate) are left
# out as Gazette leaves them out.
set -euo pipefail
FROM=${1:?gazette site}
TO=${2:?hugo site}
[ -e "$TO" ] && { echo "$TO exists" >&2; exit 2; }
mkdir -p "$TO/content" "$TO/layouts/_default" "$TO/layouts/partials"
cp -r "$FROM/content/releases" "$TO/content/releases"
# Gazette's embargo field → Hugo's publishDate; release files → section index pages.
find "$TO/content/releases" -name '*.md' ! -name '_*' -print0 |
    xargs -0 sed -i 's/^embargo = /publishDate = /'
for rel in "$TO"/content/releases/*/; do
    for lang in "" ".en"; do
        toml=$rel/_release$lang.toml
        [ -f "$toml" ] || continue
        {
            echo '+++'
            grep -E '^(title|date) = ' "$toml" || true
            echo '+++'
            [ -f "$rel/_release$lang.md" ] && cat "$rel/_release$lang.md"
        } >"$rel/_index$lang.md"
        rm -f "$toml" "$rel/_release$lang.md"
    done
done
cat >"$TO/hugo.toml" <<'EOF'
baseURL = "https://results.example.org/"
title = "科技成果发布"
defaultContentLanguage = "zh"
paginate = 20
[languages.zh]
weight = 1
languageName = "中文"
[languages.en]
weight = 2
languageName = "English"
[taxonomies]
institution = "institutions"
field = "fields"
stage = "stage"
keyword = "keywords"
[markup.goldmark.renderer]
unsafe = false
EOF
cat >"$TO/layouts/_default/baseof.html" <<'EOF'
<!doctype html>
<html lang="{{ .Site.Language.Lang }}">
<head><meta charset="utf-8"><title>{{ .Title }} · {{ .Site.Title }}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
{{ range .AllTranslations }}<link rel="alternate" hreflang="{{ .Language.Lang }}" href="{{ .Permalink }}">{{ end }}
</head>
<body>
<header><a href="{{ .Site.Home.RelPermalink }}">{{ .Site.Title }}</a>
<nav>{{ range .Site.Sections }}<a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ end }}
{{ range $name, $t := .Site.Taxonomies }}<a href="{{ "/" | relLangURL }}{{ $name }}/">{{ $name }}</a> {{ end }}</nav>
</header>
<main>{{ block "main" . }}{{ end }}</main>
<footer>{{ .Site.Title }}</footer>
</body>
</html>
EOF
cat >"$TO/layouts/partials/card.html" <<'EOF'
<article class="card"><h3><a href="{{ .RelPermalink }}">{{ .Title }}</a></h3>
<p>{{ .Params.summary }}</p>
<p>{{ range .Params.institutions }}<span>{{ . }}</span> {{ end }} · {{ .Params.stage }}</p></article>
EOF
cat >"$TO/layouts/_default/single.html" <<'EOF'
{{ define "main" }}
<article><h1>{{ .Title }}</h1>
<p class="summary">{{ .Params.summary }}</p>
<dl>
<dt>institutions</dt><dd>{{ range .GetTerms "institutions" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}</dd>
<dt>fields</dt><dd>{{ range .GetTerms "fields" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}</dd>
<dt>stage</dt><dd>{{ .Params.stage }} (TRL {{ .Params.trl }})</dd>
<dt>keywords</dt><dd>{{ range .GetTerms "keywords" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}</dd>
</dl>
{{ .Content }}
{{ with .Params.contact }}<p>{{ .name }} {{ .org }} {{ .phone }} {{ .email }}</p>{{ end }}
{{ with .Parent }}<p><a href="{{ .RelPermalink }}">{{ .Title }}</a></p>{{ end }}
</article>
{{ end }}
EOF
cat >"$TO/layouts/_default/list.html" <<'EOF'
{{ define "main" }}
<h1>{{ .Title }}</h1>
{{ .Content }}
{{ $p := .Paginate .Pages }}
{{ range $p.Pages }}{{ partial "card.html" . }}{{ end }}
{{ if $p.HasPrev }}<a href="{{ $p.Prev.URL }}">←</a>{{ end }}
{{ if $p.HasNext }}<a href="{{ $p.Next.URL }}">→</a>{{ end }}
{{ end }}
EOF
cat >"$TO/layouts/_default/terms.html" <<'EOF'
{{ define "main" }}
<h1>{{ .Title }}</h1>
<ul>{{ range .Data.Terms.ByCount }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> ({{ .Count }})</li>{{ end }}</ul>
{{ end }}
EOF
cat >"$TO/layouts/index.html" <<'EOF'
{{ define "main" }}
<h1>{{ .Site.Title }}</h1>
{{ range first 12 (where .Site.RegularPages "Section" "releases") }}{{ partial "card.html" . }}{{ end }}
{{ end }}
EOF
echo "hugo site written to $TO" >&2
