//! Small helpers over hdf5-metno: datasets with `units` and `description`,
//! chunked and deflate-compressed when large; scalar and array attributes.

use hdf5::types::{H5Type, VarLenUnicode};
use hdf5::{Group, Location};
use ndarray::{ArrayViewD, IxDyn};

use crate::error::{Error, Result};

/// Datasets with more elements than this are chunked and compressed.
const COMPRESS_ABOVE: usize = 4096;

fn h5err(what: &str) -> impl FnOnce(hdf5::Error) -> Error + '_ {
    move |source| Error::Hdf5 {
        context: format!("writing {what}"),
        source,
    }
}

/// A variable-length UTF-8 string for HDF5.
pub fn unicode(s: &str) -> VarLenUnicode {
    // Interior NUL bytes cannot be stored in a C string: drop them.
    s.replace('\0', "").parse().expect("no NUL bytes left")
}

/// Writes a string attribute.
pub fn attr_str(loc: &Location, name: &str, value: &str) -> Result<()> {
    loc.new_attr::<VarLenUnicode>()
        .create(name)
        .and_then(|a| a.write_scalar(&unicode(value)))
        .map_err(h5err(name))
}

/// Writes a scalar attribute.
pub fn attr_scalar<T: H5Type>(loc: &Location, name: &str, value: T) -> Result<()> {
    loc.new_attr::<T>()
        .create(name)
        .and_then(|a| a.write_scalar(&value))
        .map_err(h5err(name))
}

/// Writes a 1-D array attribute.
pub fn attr_array<T: H5Type>(loc: &Location, name: &str, values: &[T]) -> Result<()> {
    loc.new_attr_builder()
        .with_data(values)
        .create(name)
        .map(|_| ())
        .map_err(h5err(name))
}

/// Writes a dataset of `shape` from row-major `data`, with its units and
/// description (also its long name).
pub fn dataset<T: H5Type>(
    group: &Group,
    name: &str,
    data: &[T],
    shape: &[usize],
    units: &str,
    description: &str,
) -> Result<hdf5::Dataset> {
    let labels = Labels {
        units,
        long_name: description,
        description,
    };
    labelled_dataset(group, name, data, shape, labels)
}

/// A dataset's descriptive attributes.
#[derive(Debug, Clone, Copy)]
pub struct Labels<'a> {
    /// `units`.
    pub units: &'a str,
    /// `long_name`: a short human name.
    pub long_name: &'a str,
    /// `description`: what it holds, precisely.
    pub description: &'a str,
}

fn label(ds: &hdf5::Dataset, labels: Labels) -> Result<()> {
    attr_str(ds, "units", labels.units)?;
    attr_str(ds, "description", labels.description)?;
    attr_str(ds, "long_name", labels.long_name)
}

/// [`dataset`] with its own long name.
pub fn labelled_dataset<T: H5Type>(
    group: &Group,
    name: &str,
    data: &[T],
    shape: &[usize],
    labels: Labels,
) -> Result<hdf5::Dataset> {
    let view = ArrayViewD::from_shape(IxDyn(shape), data).expect("shape matches the data length");
    let mut builder = group.new_dataset_builder().with_data(view);
    if data.len() > COMPRESS_ABOVE {
        // Chunks of whole rows, about 64 Ki elements each.
        let row: usize = shape[1..].iter().product::<usize>().max(1);
        let rows = (65_536 / row).clamp(1, shape[0].max(1));
        let mut chunk = shape.to_vec();
        chunk[0] = rows;
        builder = builder.chunk(chunk).deflate(4);
    }
    let ds = builder.create(name).map_err(h5err(name))?;
    label(&ds, labels)?;
    Ok(ds)
}

/// Writes a 1-D string dataset (its description is also its long name).
pub fn string_dataset(
    group: &Group,
    name: &str,
    values: &[String],
    units: &str,
    description: &str,
) -> Result<hdf5::Dataset> {
    let labels = Labels {
        units,
        long_name: description,
        description,
    };
    labelled_string_dataset(group, name, values, labels)
}

/// [`string_dataset`] with its own long name.
pub fn labelled_string_dataset(
    group: &Group,
    name: &str,
    values: &[String],
    labels: Labels,
) -> Result<hdf5::Dataset> {
    let strings: Vec<VarLenUnicode> = values.iter().map(|s| unicode(s)).collect();
    let ds = group
        .new_dataset_builder()
        .with_data(&strings)
        .create(name)
        .map_err(h5err(name))?;
    label(&ds, labels)?;
    Ok(ds)
}

/// Creates a child group.
pub fn group(parent: &Group, name: &str) -> Result<Group> {
    parent.create_group(name).map_err(h5err(name))
}
