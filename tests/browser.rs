//! A real-browser test: the `basic` fixture is built under a `/results/` base path, served
//! over HTTP on the loopback interface, and driven with Debian's headless Chromium through
//! the DevTools protocol (`headless_chrome`). It checks the page language, the language
//! switcher on the home page and on an entry page, and saves screenshots of the home page at
//! a phone and a desktop width under `target/screenshots/`.
//!
//! Chromium is required: CI installs it (`.ci/run`), and the test fails without it.

mod common;

use std::path::Path;

use gazette::BuildOptions;
use headless_chrome::Tab;
use headless_chrome::protocol::cdp::{Emulation, Page};

use common::browser::*;
use common::*;

/// Waits until the tab shows `url` and its document has finished loading.
fn wait_for_page(tab: &Tab, url: &str) -> Result<()> {
    wait_until(
        tab,
        "location.href + ' ' + document.readyState",
        &format!("{url} complete"),
    )
}

fn open(tab: &Tab, url: &str) -> Result<()> {
    tab.navigate_to(url)?.wait_until_navigated()?;
    wait_for_page(tab, url)
}

/// Clicks the (first) element that matches `css` with the mouse, and waits for `url`.
fn click_to(tab: &Tab, css: &str, url: &str) -> Result<()> {
    tab.wait_for_element(css)?.click()?;
    wait_for_page(tab, url)
}

fn text(tab: &Tab, css: &str) -> Result<String> {
    tab.wait_for_element(css)?;
    let css = serde_json::to_string(css)?;
    eval_string(
        tab,
        &format!("document.querySelector({css}).textContent.trim()"),
    )
}

fn lang(tab: &Tab) -> Result<String> {
    eval_string(tab, "document.documentElement.lang")
}

fn set_viewport(tab: &Tab, width: u32, height: u32, mobile: bool) -> Result<()> {
    tab.call_method(Emulation::SetDeviceMetricsOverride {
        width,
        height,
        device_scale_factor: 1.0,
        mobile,
        scale: None,
        screen_width: None,
        screen_height: None,
        position_x: None,
        position_y: None,
        dont_set_visible_size: None,
        screen_orientation: None,
        viewport: None,
        display_feature: None,
        device_posture: None,
    })?;
    Ok(())
}

fn number(tab: &Tab, js: &str) -> Result<u32> {
    Ok(eval_string(tab, &format!("String(Math.ceil({js}))"))?.parse()?)
}

/// Loads `url` in a viewport `width` CSS pixels wide and returns a PNG of the whole page
/// (the viewport is made as tall as the page, at least `height`).
fn screenshot(tab: &Tab, url: &str, width: u32, height: u32, mobile: bool) -> Result<Vec<u8>> {
    set_viewport(tab, width, height, mobile)?;
    open(tab, url)?;
    assert_eq!(number(tab, "window.innerWidth")?, width, "viewport width");
    let (scroll, client) = (
        number(tab, "document.documentElement.scrollWidth")?,
        number(tab, "document.documentElement.clientWidth")?,
    );
    assert!(
        scroll <= client,
        "{url} at {width}px: the page is {scroll}px wide, wider than the viewport's \
         {client}px (horizontal scrolling)"
    );
    let full = number(tab, "document.documentElement.scrollHeight")?;
    set_viewport(tab, width, full.clamp(height, 10_000), mobile)?;
    let png = tab.capture_screenshot(Page::CaptureScreenshotFormatOption::Png, None, None, true)?;
    set_viewport(tab, width, height, mobile)?;
    Ok(png)
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    if png.len() < 24 || &png[..8] != b"\x89PNG\r\n\x1a\n" || &png[12..16] != b"IHDR" {
        return None;
    }
    let be = |b: &[u8]| u32::from_be_bytes(b.try_into().unwrap());
    Some((be(&png[16..20]), be(&png[20..24])))
}

#[test]
fn language_switcher_and_layout_in_headless_chromium() -> Result<()> {
    assert!(
        Path::new(CHROMIUM).is_file(),
        "{CHROMIUM} is missing: install Debian's chromium (as .ci/run does) to run this test"
    );
    let site = fixture("basic");
    let out = site.path().join("output");
    let server = Server::start(out.clone())?;
    let base = format!("http://127.0.0.1:{}/results/", server.addr.port());
    build_ok(&BuildOptions {
        base_url: Some(base.clone()),
        ..BuildOptions::new(site.path())
    });
    assert!(out.join("index.html").is_file());

    let profile = tempfile::tempdir()?;
    let browser = launch(profile.path())?;
    let tab = browser.new_tab()?;
    tab.set_default_timeout(TIMEOUT);

    // 1. The home page is in the default language.
    open(&tab, &base)?;
    assert_eq!(lang(&tab)?, "zh", "lang of {base}");

    // 2. The switcher leads to the English home page.
    let en = format!("{base}en/");
    click_to(&tab, ".lang-switch a[hreflang=en]", &en)?;
    assert_eq!(lang(&tab)?, "en", "lang of {en}");
    assert_eq!(text(&tab, ".brand")?, "Test site");

    // 3. On an entry page the switcher goes to the same entry's translation and back.
    let alpha_zh = format!("{base}releases/2024-01/alpha/");
    let alpha_en = format!("{base}en/releases/2024-01/alpha/");
    open(&tab, &alpha_zh)?;
    assert_eq!(lang(&tab)?, "zh", "lang of {alpha_zh}");
    click_to(&tab, ".lang-switch a[hreflang=en]", &alpha_en)?;
    assert_eq!(lang(&tab)?, "en", "lang of {alpha_en}");
    assert_eq!(text(&tab, "h1")?, "Alpha new material");
    assert_eq!(text(&tab, ".lang-switch a[hreflang=zh]")?, "中文");
    click_to(&tab, ".lang-switch a[hreflang=zh]", &alpha_zh)?;
    assert_eq!(lang(&tab)?, "zh", "lang of {alpha_zh}");
    assert_eq!(text(&tab, "h1")?, "阿尔法新材料");

    // 4. Screenshots of the home page at a phone and a desktop width.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is <target>/tmp")
        .join("screenshots");
    std::fs::create_dir_all(&dir)?;
    for (name, width, height, mobile) in [
        ("home-390.png", 390, 844, true),
        ("home-1280.png", 1280, 800, false),
    ] {
        let png = screenshot(&tab, &base, width, height, mobile)?;
        let path = dir.join(name);
        std::fs::write(&path, &png)?;
        let written = std::fs::read(&path)?;
        assert!(!written.is_empty(), "{} is empty", path.display());
        let (w, h) =
            png_size(&written).unwrap_or_else(|| panic!("{} is not a PNG", path.display()));
        assert_eq!(w, width, "{} width", path.display());
        assert!(
            h >= height.min(300),
            "{} is only {h}px high",
            path.display()
        );
    }

    // Every page and stylesheet the browser asked for was there (Chromium's own
    // /favicon.ico request is outside /results/ and expected to miss).
    let requests = server.requests();
    let missing: Vec<_> = requests
        .iter()
        .filter(|(status, path)| *status != 200 && path != "/favicon.ico")
        .collect();
    assert!(missing.is_empty(), "requests that failed: {missing:?}");
    assert!(
        requests
            .iter()
            .any(|(s, p)| *s == 200 && p == "/results/style.css"),
        "the stylesheet was never loaded: {requests:?}"
    );
    Ok(())
}
