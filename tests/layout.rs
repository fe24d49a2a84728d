//! The page's modules (`src/app`) import one another without a cycle of any length: state and models at the
//! bottom, the worker client above them, components on top.

use std::collections::{BTreeMap, BTreeSet};

/// Module → the sibling modules it names through `super::x` or `crate::app::x`.
fn app_imports() -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeMap<String, String> = std::fs::read_dir("src/app")
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "rs"))
        .map(|path| (path.file_stem().unwrap().to_string_lossy().to_string(), std::fs::read_to_string(&path).unwrap()))
        .collect();
    let named = |text: &str, prefix: &str| -> BTreeSet<String> {
        text.match_indices(prefix)
            .map(|(at, _)| {
                text[at + prefix.len()..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>()
            })
            .collect()
    };
    modules
        .iter()
        .map(|(module, text)| {
            let mut targets = named(text, "super::");
            targets.extend(named(text, "crate::app::"));
            targets.retain(|target| target != module && modules.contains_key(target));
            (module.clone(), targets)
        })
        .collect()
}

#[test]
fn page_modules_import_one_another_without_a_cycle() {
    let imports = app_imports();
    assert!(imports["files"].is_empty(), "the files model imports nothing of the page: {:?}", imports["files"]);
    // Depth-first search; a module met again while still on the path closes a cycle.
    fn visit(
        module: &str,
        imports: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if let Some(start) = path.iter().position(|on_path| on_path == module) {
            panic!("import cycle: {} → {module}", path[start..].join(" → "));
        }
        if !done.insert(module.to_string()) {
            return;
        }
        path.push(module.to_string());
        for target in &imports[module] {
            visit(target, imports, path, done);
        }
        path.pop();
    }
    let mut done = BTreeSet::new();
    for module in imports.keys() {
        visit(module, &imports, &mut Vec::new(), &mut done);
    }
    assert!(imports.len() >= 10, "the page's modules were found: {:?}", imports.keys());
}
