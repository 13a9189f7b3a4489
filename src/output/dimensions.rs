//! HDF5 dimension scales (the H5DS API of the HDF5 high-level library), so
//! that netCDF readers — `xarray.open_dataset(..., engine="h5netcdf")` —
//! see labelled axes (period, type, reward) instead of anonymous ones.

use std::ffi::CString;
use std::os::raw::{c_char, c_uint};

use hdf5::{Dataset, Group};
use hdf5_sys::h5::herr_t;
use hdf5_sys::h5i::hid_t;

use super::h5::{labelled_dataset, labelled_string_dataset, Labels};
use super::schema::{Dim, Dtype, Variable};
use crate::error::{Error, Result};

extern "C" {
    fn H5DSset_scale(dsid: hid_t, dimname: *const c_char) -> herr_t;
    fn H5DSattach_scale(did: hid_t, dsid: hid_t, idx: c_uint) -> herr_t;
}

fn check(status: herr_t, what: &str) -> Result<()> {
    if status < 0 {
        Err(Error::Hdf5 {
            context: format!("writing dimension scales: {what}"),
            source: hdf5::Error::from(format!("{what} failed")),
        })
    } else {
        Ok(())
    }
}

/// Turns `ds` into a dimension scale named after it.
fn make_scale(ds: &Dataset, name: &str) -> Result<()> {
    let c_name = CString::new(name).expect("scale names have no NUL");
    let status = hdf5::sync::sync(|| unsafe { H5DSset_scale(ds.id(), c_name.as_ptr()) });
    check(status, "H5DSset_scale")
}

/// Attaches dimension scale `scale` to dimension `index` of `ds`.
pub(super) fn attach_scale(ds: &Dataset, scale: &Dataset, index: usize) -> Result<()> {
    let status =
        hdf5::sync::sync(|| unsafe { H5DSattach_scale(ds.id(), scale.id(), index as c_uint) });
    check(status, "H5DSattach_scale")
}

/// Makes `ds` a dimension scale named `name` (for tables outside the run
/// schema, such as a sweep's `/summary`).
pub(super) fn set_scale(ds: &Dataset, name: &str) -> Result<()> {
    make_scale(ds, name)
}

/// Writes the datasets of one run group from their schema entries: units,
/// long name and description from the [`Variable`], coordinates made
/// dimension scales, and data attached to the scales of its dimensions.
pub struct Axes<'g> {
    run: &'g Group,
    scales: Vec<(Dim, Dataset)>,
}

impl<'g> Axes<'g> {
    /// A writer for run group `run`.
    pub fn new(run: &'g Group) -> Self {
        Axes {
            run,
            scales: Vec::new(),
        }
    }

    /// The group a variable lives in (created on first use).
    fn group_of(&self, v: &Variable) -> Result<Group> {
        let mut g = self.run.clone();
        for part in v.group().split('/').filter(|p| !p.is_empty()) {
            g = match g.group(part) {
                Ok(existing) => existing,
                Err(_) => g.create_group(part).map_err(|source| Error::Hdf5 {
                    context: format!("writing {part}"),
                    source,
                })?,
            };
        }
        Ok(g)
    }

    /// An existing subgroup of the run group (for its attributes).
    pub fn subgroup(&self, path: &str) -> Result<Group> {
        self.run.group(path).map_err(|source| Error::Hdf5 {
            context: format!("opening {path}"),
            source,
        })
    }

    /// Writes numeric variable `v` with `data` of `shape` (row-major).
    pub fn put<T: hdf5::types::H5Type>(
        &mut self,
        v: &Variable,
        data: &[T],
        shape: &[usize],
    ) -> Result<Dataset> {
        debug_assert_eq!(v.dims.len(), shape.len(), "{}: rank", v.path);
        debug_assert!(dtype_matches::<T>(v.dtype), "{}: element type", v.path);
        let g = self.group_of(v)?;
        let ds = labelled_dataset(&g, v.name(), data, shape, labels(v))?;
        self.finish(v, &ds)?;
        Ok(ds)
    }

    /// Writes string variable `v`.
    pub fn put_strings(&mut self, v: &Variable, values: &[String]) -> Result<Dataset> {
        debug_assert_eq!(v.dtype, Dtype::Str, "{}: element type", v.path);
        let g = self.group_of(v)?;
        let ds = labelled_string_dataset(&g, v.name(), values, labels(v))?;
        self.finish(v, &ds)?;
        Ok(ds)
    }

    /// A coordinate becomes its axis's scale; data is attached to its axes.
    fn finish(&mut self, v: &Variable, ds: &Dataset) -> Result<()> {
        if v.coordinate {
            let dim = v.dims[0];
            make_scale(ds, dim.name())?;
            // A later coordinate of the same axis (fairness/type after
            // series/type) serves the datasets written after it.
            self.scales.retain(|(d, _)| *d != dim);
            self.scales.push((dim, ds.clone()));
        } else {
            for (i, dim) in v.dims.iter().enumerate() {
                if *dim == Dim::Byte {
                    continue; // an opaque byte string has no axis
                }
                let scale = self
                    .scales
                    .iter()
                    .find(|(d, _)| d == dim)
                    .map(|(_, s)| s)
                    .unwrap_or_else(|| panic!("{}: axis {} written before", v.path, dim.name()));
                attach_scale(ds, scale, i)?;
            }
        }
        Ok(())
    }
}

/// A variable's attributes, from the schema.
fn labels(v: &Variable) -> Labels<'static> {
    Labels {
        units: v.units,
        long_name: v.long_name,
        description: v.description,
    }
}

/// Whether `T` is stored as `dtype`.
fn dtype_matches<T: hdf5::types::H5Type>(dtype: Dtype) -> bool {
    use hdf5::types::{FloatSize, IntSize, TypeDescriptor as D};
    matches!(
        (T::type_descriptor(), dtype),
        (D::Unsigned(IntSize::U8), Dtype::U64)
            | (D::Integer(IntSize::U8), Dtype::I64)
            | (D::Integer(IntSize::U4), Dtype::I32)
            | (D::Float(FloatSize::U8), Dtype::F64)
            | (D::Unsigned(IntSize::U1), Dtype::U8)
    )
}
