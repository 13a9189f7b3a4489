//! HDF5 dimension scales (the H5DS API of the HDF5 high-level library), so
//! that netCDF readers — `xarray.open_dataset(..., engine="h5netcdf")` —
//! see labelled axes (period, type, reward) instead of anonymous ones.

use std::ffi::CString;
use std::os::raw::{c_char, c_uint};

use hdf5::{Dataset, Group};
use hdf5_sys::h5::herr_t;
use hdf5_sys::h5i::hid_t;

use super::h5::{dataset, string_dataset};
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

/// The labelled axes of a group's datasets.
pub struct Axes {
    scales: Vec<(String, Dataset)>,
}

impl Axes {
    /// No axes yet.
    pub fn new() -> Self {
        Axes { scales: Vec::new() }
    }

    /// Adds a numeric axis `name` with coordinate values.
    pub fn numeric<T: hdf5::types::H5Type>(
        &mut self,
        group: &Group,
        name: &str,
        values: &[T],
        units: &str,
        long_name: &str,
    ) -> Result<()> {
        let ds = dataset(group, name, values, &[values.len()], units, long_name)?;
        make_scale(&ds, name)?;
        self.scales.push((name.to_string(), ds));
        Ok(())
    }

    /// Adds a string axis `name` with labels.
    pub fn labels(
        &mut self,
        group: &Group,
        name: &str,
        values: &[String],
        long_name: &str,
    ) -> Result<()> {
        let ds = string_dataset(group, name, values, "1", long_name)?;
        make_scale(&ds, name)?;
        self.scales.push((name.to_string(), ds));
        Ok(())
    }

    /// Attaches the named axes to `ds`, one per dimension in order.
    pub fn attach(&self, ds: &Dataset, dims: &[&str]) -> Result<()> {
        for (i, dim) in dims.iter().enumerate() {
            let scale = &self
                .scales
                .iter()
                .find(|(n, _)| n == dim)
                .unwrap_or_else(|| panic!("axis {dim} is defined before use"))
                .1;
            let status =
                hdf5::sync::sync(|| unsafe { H5DSattach_scale(ds.id(), scale.id(), i as c_uint) });
            check(status, "H5DSattach_scale")?;
        }
        Ok(())
    }
}

impl Default for Axes {
    fn default() -> Self {
        Axes::new()
    }
}
