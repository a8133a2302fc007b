//! Browser tests: the real server (`TestApp`) driven by Debian's Chromium, headless, through
//! chromedriver (WebDriver, with `fantoccini`), as a person at a desk (1366 px) or on a
//! phone (390 px) would. `.ci/run` installs `chromium` and `chromium-driver`; on a machine
//! without them these tests say so on stderr and pass, except under `CI=true`, where a
//! missing browser is a failure. A failing step saves a screenshot and the page's HTML under
//! `target/browser/` and names them in the panic.

mod case_form;
mod journeys;
mod news;
mod paper;
mod phone;
mod small_forms;
mod statistics;

use super::common::{PASSWORD, TestApp};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// A desk: the width the issue's walks were made at.
pub const DESK: (u32, u32) = (1366, 900);
/// A phone.
pub const PHONE: (u32, u32) = (390, 844);

/// One Chromium, its chromedriver, and the app it looks at. Dropped, it kills the driver's
/// process group (the browser with it).
pub struct Chrome {
    client: Client,
    driver: Child,
    base: String,
    test: &'static str,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Where failure artefacts go: `target/browser/`.
fn artefacts() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Chrome {
    /// A browser window of `size` on `app`; `None` when Chromium is not installed here (and
    /// not in CI).
    pub async fn open(app: &TestApp, test: &'static str, size: (u32, u32)) -> Option<Chrome> {
        if !Path::new(CHROMEDRIVER).exists() || !Path::new(CHROMIUM).exists() {
            assert!(
                std::env::var_os("CI").is_none(),
                "browser test {test}: {CHROMIUM} and {CHROMEDRIVER} are missing \
                 (apt-get install -y chromium chromium-driver)"
            );
            eprintln!(
                "browser test {test} not run: install chromium and chromium-driver to run it"
            );
            return None;
        }
        let port = free_port();
        let driver = {
            use std::os::unix::process::CommandExt;
            Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .unwrap()
        };
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--lang=id-ID",
                    format!("--window-size={},{}", size.0, size.1),
                ],
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut tries = 0;
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(e) if tries < 150 => {
                    tries += 1;
                    if tries % 50 == 0 {
                        eprintln!("browser test {test}: waiting for chromedriver ({e})");
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("browser test {test}: chromedriver did not start: {e}"),
            }
        };
        let chrome = Chrome {
            client,
            driver,
            base: app.base.clone(),
            test,
        };
        // The window's inner width is what pages lay out at.
        let inner = chrome.js("return window.innerWidth", vec![]).await;
        if inner.as_u64() != Some(size.0 as u64) {
            chrome.client.set_window_size(size.0, size.1).await.unwrap();
        }
        Some(chrome)
    }

    /// Saves a screenshot and the page's HTML, then fails the test with `msg`.
    pub async fn fail(&self, msg: &str) -> ! {
        let dir = artefacts();
        let png = dir.join(format!("{}.png", self.test));
        let html = dir.join(format!("{}.html", self.test));
        if let Ok(bytes) = self.client.screenshot().await {
            let _ = std::fs::write(&png, bytes);
        }
        if let Ok(source) = self.client.source().await {
            let _ = std::fs::write(&html, source);
        }
        let at = self
            .client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        panic!(
            "browser test {}: {msg}\n  at {at}\n  screenshot {}\n  page {}",
            self.test,
            png.display(),
            html.display()
        );
    }

    /// With `GUGUS_BROWSER_SHOTS` set, saves a screenshot of the page as
    /// `target/browser/shots/<test>-<label>.png`, to look at what a person sees.
    pub async fn shot(&self, label: &str) {
        if std::env::var_os("GUGUS_BROWSER_SHOTS").is_none() {
            return;
        }
        let dir = artefacts().join("shots");
        std::fs::create_dir_all(&dir).unwrap();
        let label: String = label
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        if let Ok(bytes) = self.client.screenshot().await {
            std::fs::write(dir.join(format!("{}-{label}.png", self.test)), bytes).unwrap();
        }
    }

    /// Fails (with artefacts) unless `ok`.
    pub async fn expect(&self, ok: bool, msg: &str) {
        if !ok {
            self.fail(msg).await;
        }
    }

    pub async fn goto(&self, path: &str) {
        if let Err(e) = self.client.goto(&format!("{}{path}", self.base)).await {
            self.fail(&format!("opening {path}: {e}")).await;
        }
    }

    /// The path (with query and fragment) of the page shown.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        let mut p = url.path().to_owned();
        if let Some(q) = url.query() {
            p += &format!("?{q}");
        }
        if let Some(f) = url.fragment() {
            p += &format!("#{f}");
        }
        p
    }

    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        match self.client.execute(script, args).await {
            Ok(v) => v,
            Err(e) => self.fail(&format!("script {script}: {e}")).await,
        }
    }

    /// The element `css` selects; fails if there is none.
    pub async fn find(&self, css: &str) -> Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(e) => e,
            Err(e) => self.fail(&format!("no element {css}: {e}")).await,
        }
    }

    pub async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .map(|v| v.len())
            .unwrap_or(0)
    }

    /// The form control named `name`.
    pub async fn field(&self, name: &str) -> Element {
        self.find(&format!("[name=\"{name}\"]")).await
    }

    /// Types into a text field, as a person would (after clearing it).
    pub async fn type_into(&self, name: &str, text: &str) {
        let f = self.field(name).await;
        f.clear().await.unwrap();
        if let Err(e) = f.send_keys(text).await {
            self.fail(&format!("typing into {name}: {e}")).await;
        }
    }

    /// Sets a date field (typing into one depends on the browser's locale).
    pub async fn set_date(&self, name: &str, iso: &str) {
        let f = self.field(name).await;
        self.js(
            "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
            vec![serde_json::to_value(&f).unwrap(), json!(iso)],
        )
        .await;
    }

    pub async fn choose(&self, name: &str, value: &str) {
        let f = self.field(name).await;
        if let Err(e) = f.select_by_value(value).await {
            self.fail(&format!("choosing {value} in {name}: {e}")).await;
        }
    }

    /// Chooses `value` in the `<select>` that `css` selects (where several forms of a page
    /// have a field of the same name).
    pub async fn pick(&self, css: &str, value: &str) {
        let e = self.find(css).await;
        if let Err(err) = e.select_by_value(value).await {
            self.fail(&format!("choosing {value} in {css}: {err}"))
                .await;
        }
    }

    pub async fn tick(&self, name: &str, value: &str) {
        self.find(&format!("input[name=\"{name}\"][value=\"{value}\"]"))
            .await
            .click()
            .await
            .unwrap();
    }

    /// Presses Enter in a field and waits for the page the form's answer is.
    pub async fn press_enter_in(&self, name: &str) {
        self.js("window.__gugusOld = true;", vec![]).await;
        let f = self.field(name).await;
        if let Err(e) = f.send_keys(&fantoccini::key::Key::Enter.to_string()).await {
            self.fail(&format!("Enter in {name}: {e}")).await;
        }
        self.wait_for_new_page(&format!("Enter in {name}")).await;
    }

    /// Clicks the element `css` selects and waits for the page it leads to (a form's
    /// answer, a link to another page) to be loaded.
    pub async fn submit(&self, css: &str) {
        // A mark on the page shown now: gone once another document has replaced it.
        self.js("window.__gugusOld = true;", vec![]).await;
        self.click(css).await;
        self.wait_for_new_page(&format!("clicking {css}")).await;
    }

    /// Waits until the page marked by `submit` has been replaced and the new one loaded.
    async fn wait_for_new_page(&self, what: &str) {
        for _ in 0..200 {
            let loaded = self
                .client
                .execute(
                    "return !window.__gugusOld && document.readyState === 'complete';",
                    vec![],
                )
                .await;
            if matches!(loaded, Ok(Value::Bool(true))) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.fail(&format!("{what} led to no new page within 10 s"))
            .await;
    }

    /// Clicks the element `css` selects (for what stays on the page: a link within it, a
    /// checkbox); see [`Chrome::submit`] for what loads another page.
    pub async fn click(&self, css: &str) {
        let e = self.find(css).await;
        // In view first, as a person scrolls to a button before pressing it.
        self.js(
            "arguments[0].scrollIntoView({block: 'center'});",
            vec![serde_json::to_value(&e).unwrap()],
        )
        .await;
        if let Err(err) = e.click().await {
            self.fail(&format!("clicking {css}: {err}")).await;
        }
    }

    /// Shows pages as they print (CSS `@media print`), through chromedriver's bridge to
    /// Chromium's DevTools (`Emulation.setEmulatedMedia`).
    pub async fn emulate_print(&self) {
        let cmd = Cdp {
            cmd: "Emulation.setEmulatedMedia",
            params: json!({"media": "print"}),
        };
        if let Err(e) = self.client.issue_cmd(cmd).await {
            self.fail(&format!("emulating print: {e}")).await;
        }
    }

    /// The page as a PDF, as the browser prints it.
    pub async fn pdf(&self) -> Vec<u8> {
        match self.client.print(Default::default()).await {
            Ok(pdf) => pdf,
            Err(e) => self.fail(&format!("printing: {e}")).await,
        }
    }

    /// The text of the dialog (`confirm`) the page opened, waiting for it to open.
    pub async fn dialog(&self) -> String {
        for _ in 0..100 {
            if let Ok(text) = self.client.get_alert_text().await {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.fail("no dialog opened within 5 s").await
    }

    /// Answers the open dialog: OK (`true`) or Cancel.
    pub async fn answer_dialog(&self, ok: bool) {
        let r = if ok {
            self.client.accept_alert().await
        } else {
            self.client.dismiss_alert().await
        };
        if let Err(e) = r {
            self.fail(&format!("answering the dialog: {e}")).await;
        }
    }

    /// Waits until the browser is at `path` (with its query and fragment; a path ending
    /// in `/` is a prefix) and the page is loaded.
    pub async fn wait_for_path(&self, path: &str) {
        for _ in 0..200 {
            let loaded = self
                .client
                .execute("return document.readyState === 'complete';", vec![])
                .await;
            let at = self.path().await;
            let there = if path.ends_with('/') {
                at.starts_with(path)
            } else {
                at == path
            };
            if there && matches!(loaded, Ok(Value::Bool(true))) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let at = self.path().await;
        self.fail(&format!("not at {path} within 10 s (at {at})"))
            .await;
    }

    pub async fn value(&self, name: &str) -> String {
        self.field(name)
            .await
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default()
    }

    /// The id (or name) of the element that has the focus.
    pub async fn focused(&self) -> String {
        self.js(
            "var e = document.activeElement; return e ? (e.id || e.name || e.tagName) : '';",
            vec![],
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// The visible text of the page.
    pub async fn text(&self) -> String {
        self.find("body").await.text().await.unwrap_or_default()
    }

    /// Logs in through the login page.
    pub async fn login(&self, username: &str) {
        self.goto("/login").await;
        self.type_into("username", username).await;
        self.type_into("password", PASSWORD).await;
        self.submit("form button[type=submit]").await;
        if self.path().await.starts_with("/login") {
            self.fail(&format!("login of {username} failed")).await;
        }
    }

    /// Forgets the session cookie (as closing the browser would), to log in as another user.
    pub async fn forget_session(&self) {
        if self.client.delete_all_cookies().await.is_err() {
            self.fail("could not delete the cookies").await;
        }
    }

    /// Ends the browser session (the browser quits) and the driver.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Chrome {
    fn drop(&mut self) {
        // The driver leads its own process group; the browser it started is in it.
        // `--` first: without it `kill` may read the negative process group as an option
        // (a test run once killed every process of the session that way).
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.wait();
    }
}

/// A Chromium DevTools command sent through chromedriver (`goog/cdp/execute`).
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        let body = json!({"cmd": self.cmd, "params": self.params});
        (axum::http::Method::POST, Some(body.to_string()))
    }
}
