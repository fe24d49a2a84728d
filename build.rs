//! Build-time facts for the page and the report: docs/METHODS.md rendered to HTML (the page's Methods
//! section, no network), and the commit the build comes from ("unknown" in a tree without `.git`).

use std::path::Path;
use std::process::Command;

fn main() {
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    println!("cargo:rerun-if-changed=docs/METHODS.md");
    let markdown = std::fs::read_to_string("docs/METHODS.md")
        .unwrap_or_else(|_| "Methods: docs/METHODS.md is missing from this tree.".into());
    let mut options = pulldown_cmark::Options::empty();
    options.insert(pulldown_cmark::Options::ENABLE_TABLES);
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new_ext(&markdown, options));
    // The page's Content-Security-Policy refuses inline styles (tables written with alignment colons get them).
    assert!(!html.contains("style="), "docs/METHODS.md renders an inline style (a table column alignment?)");
    std::fs::write(Path::new(&out).join("methods.html"), html).expect("OUT_DIR is writable");

    // The commit: from git when this is a checkout, else unknown (an exported tree still builds).
    for path in [".git/HEAD", ".git/logs/HEAD"] {
        if Path::new(path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|output| output.status.success() && Path::new(".git").exists())
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .map(|commit| commit.trim().to_string())
        .filter(|commit| !commit.is_empty())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=PERTURB_CHECK_COMMIT={commit}");
}
