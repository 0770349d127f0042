"""Import and export: CSV files into the store, bars out to CSV or Parquet.

A client of the storage module like any other: it reads and writes only through
`stocklab.store`'s public interface (`Store`, `StoreReader`), never a backend.
"""
