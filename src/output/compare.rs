//! Comparing two output files dataset by dataset (`tokensim diff`).
//!
//! Two outputs of the same configuration and seeds must hold the same data
//! whatever the thread count, sharding or interruptions: this is the check.
//! Every group, dataset and attribute is compared by value (floats bit for
//! bit), except what legitimately differs between two writes of the same
//! results — the `created_utc` timestamp and object references (dimension
//! scales point at addresses inside each file) — which are compared by
//! presence only.

use std::collections::BTreeMap;
use std::path::Path;

use hdf5::types::{TypeDescriptor, VarLenAscii, VarLenUnicode};

use crate::error::{Error, Result};

/// Attributes that are timestamps of the write, not data.
const TIMESTAMPS: [&str; 1] = ["created_utc"];

/// Everything in a file: object path (`/a/b`, `/a/b@attr`) → its content.
pub fn flatten_file(path: &Path) -> Result<BTreeMap<String, String>> {
    let file = hdf5::File::open(path)
        .map_err(|e| Error::Input(format!("{}: cannot open as HDF5 ({e})", path.display())))?;
    let mut out = BTreeMap::new();
    flatten(&file, "", &mut out)?;
    Ok(out)
}

fn flatten(group: &hdf5::Group, prefix: &str, out: &mut BTreeMap<String, String>) -> Result<()> {
    let err = |e: hdf5::Error| Error::Hdf5 {
        context: format!("reading {prefix}/"),
        source: e,
    };
    for name in group.attr_names().map_err(err)? {
        let attr = group.attr(&name).map_err(err)?;
        let text = if TIMESTAMPS.contains(&name.as_str()) {
            "<timestamp>".to_string()
        } else {
            attribute_text(&attr)
        };
        out.insert(format!("{prefix}@{name}"), text);
    }
    for name in group.member_names().map_err(err)? {
        let path = format!("{prefix}/{name}");
        if let Ok(g) = group.group(&name) {
            out.insert(path.clone(), "<group>".into());
            flatten(&g, &path, out)?;
        } else if let Ok(ds) = group.dataset(&name) {
            for a in ds.attr_names().map_err(err)? {
                let attr = ds.attr(&a).map_err(err)?;
                out.insert(format!("{path}@{a}"), attribute_text(&attr));
            }
            out.insert(path, dataset_text(&ds));
        } else {
            out.insert(path, "<other object>".into());
        }
    }
    Ok(())
}

fn render(descriptor: Option<TypeDescriptor>, container: &hdf5::Container) -> String {
    use TypeDescriptor as T;
    let shape = format!("{:?}", container.shape());
    let body = match descriptor {
        Some(T::Unsigned(_)) => container.read_raw::<u64>().map(|v| format!("{v:?}")),
        Some(T::Integer(_)) => container.read_raw::<i64>().map(|v| format!("{v:?}")),
        Some(T::Float(_)) => container
            .read_raw::<f64>()
            .map(|v| format!("{:?}", v.iter().map(|x| x.to_bits()).collect::<Vec<_>>())),
        Some(T::Boolean) => container.read_raw::<bool>().map(|v| format!("{v:?}")),
        Some(T::VarLenUnicode) => container
            .read_raw::<VarLenUnicode>()
            .map(|v| format!("{v:?}")),
        Some(T::VarLenAscii) => container
            .read_raw::<VarLenAscii>()
            .map(|v| format!("{v:?}")),
        Some(T::VarLenArray(inner)) if matches!(*inner, T::Reference(_)) => {
            return format!("<references {shape}>")
        }
        Some(T::Reference(_)) => return format!("<references {shape}>"),
        Some(other) => return format!("<{other:?} {shape}>"),
        None => return format!("<unknown type {shape}>"),
    };
    body.map_or_else(|e| format!("<unreadable: {e}>"), |b| format!("{shape} {b}"))
}

fn dataset_text(ds: &hdf5::Dataset) -> String {
    let descriptor = ds.dtype().ok().and_then(|t| t.to_descriptor().ok());
    render(descriptor, ds)
}

fn attribute_text(attr: &hdf5::Attribute) -> String {
    let descriptor = attr.dtype().ok().and_then(|t| t.to_descriptor().ok());
    render(descriptor, attr)
}

/// The differences between two files: paths only in one, and paths whose
/// contents differ. Empty when the files hold the same data.
pub fn differences(a: &Path, b: &Path) -> Result<Vec<String>> {
    let (x, y) = (flatten_file(a)?, flatten_file(b)?);
    let mut diffs = Vec::new();
    for (path, value) in &x {
        match y.get(path) {
            None => diffs.push(format!("only in {}: {path}", a.display())),
            Some(other) if other != value => diffs.push(format!("differs: {path}")),
            Some(_) => {}
        }
    }
    for path in y.keys().filter(|p| !x.contains_key(*p)) {
        diffs.push(format!("only in {}: {path}", b.display()));
    }
    Ok(diffs)
}
