//! Writing a [`Table`] as an Apache Parquet file through the arrow and
//! parquet crates: one row group per table, snappy-compressed, nullable
//! text and float columns (empty CSV cells are nulls here).

use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, UInt64Array};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use super::tables::{Column, Table};
use crate::error::{Error, Result};

/// The table as one Arrow record batch.
pub fn record_batch(table: &Table) -> Result<RecordBatch> {
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (name, column) in &table.columns {
        let (field, array): (Field, ArrayRef) = match column {
            Column::U64(v) => (
                Field::new(name, DataType::UInt64, false),
                Arc::new(UInt64Array::from(v.clone())),
            ),
            Column::I64(v) => (
                Field::new(name, DataType::Int64, false),
                Arc::new(Int64Array::from(v.clone())),
            ),
            Column::F64(v) => (
                Field::new(name, DataType::Float64, true),
                Arc::new(Float64Array::from(v.clone())),
            ),
            Column::Str(v) => (
                Field::new(name, DataType::Utf8, true),
                Arc::new(StringArray::from(
                    v.iter().map(Option::as_deref).collect::<Vec<_>>(),
                )),
            ),
        };
        fields.push(field);
        arrays.push(array);
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
        .map_err(|e| Error::Internal(format!("building the {} table: {e}", table.name)))
}

/// Writes `table` to `path` (the caller renames it into place).
pub fn write_parquet(table: &Table, path: &Path) -> Result<()> {
    let io = |source: std::io::Error| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let pq = |e: parquet::errors::ParquetError| Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    };
    let batch = record_batch(table)?;
    let file = std::fs::File::create(path).map_err(io)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_created_by(format!("tokensim {}", env!("CARGO_PKG_VERSION")))
        .build();
    let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(props)).map_err(pq)?;
    writer.write(&batch).map_err(pq)?;
    let file = writer.into_inner().map_err(pq)?;
    file.sync_all().map_err(io)
}
