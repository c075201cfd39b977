"""The lake on object storage: the raw layer, Spark's exported sources and the models it wrote, in S3.

An S3 server runs in the test process (moto's ``ThreadedMotoServer``) and pyarrow reaches it as it would
reach AWS, through ``AWS_ENDPOINT_URL`` and the usual credential variables. The Spark side is played by
files written the way Spark writes a model's folder (``part-…`` files, ``_SUCCESS``, hidden checksums).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import boto3
import duckdb
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest
from moto.server import ThreadedMotoServer

from orchestration.lib import lake, spark_engine
from tests.unit.test_lake import META, drop, load


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A new, empty bucket; the environment a user sets for a lake in S3."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    name = f"lake-{uuid.uuid4().hex[:12]}"
    boto3.client("s3").create_bucket(Bucket=name)
    return name


def keys(bucket: str) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def read(bucket: str, key: str) -> pa.Table:
    store, _ = lake.filesystem(f"s3://{bucket}")
    return pq.read_table(f"{bucket}/{key}", filesystem=store)


def test_each_load_is_published_to_the_bucket_once_and_only_its_new_rows(db, tmp_path, bucket: str) -> None:
    root = f"s3://{bucket}/roi"
    landing = tmp_path / "landing"
    drop(landing, "meta_2025-03.csv", "2025-03-01,1,EUR,10,A,100.00,,,,", "2025-03-02,1,EUR,10,A,50.50,,,,")
    load(db, landing, "run-1")
    first = lake.publish_raw(db, root, META.table, "run-1")
    assert first == lake.Published(META.table, f"{root}/raw/{META.table}/load_id=run-1", 2)

    drop(landing, "meta_2025-04.csv", "2025-04-01,1,EUR,10,A,70.00,,,,")
    load(db, landing, "run-2")
    assert lake.publish_raw(db, root, META.table, "run-2").rows == 1
    # nothing new: no object; the same run again: nothing rewritten
    load(db, landing, "run-3")
    assert lake.publish_raw(db, root, META.table, "run-3") == lake.Published(META.table, None, 0)
    assert lake.publish_raw(db, root, META.table, "run-2").rows == 0

    partitions = [f"roi/raw/{META.table}/load_id=run-{run}/part-0.parquet" for run in (1, 2)]
    assert keys(bucket) == partitions  # no temporary object, no empty partition
    assert read(bucket, partitions[1]).column("_source_file").to_pylist() == ["meta_2025-04.csv"]
    # the bucket holds exactly the raw table, column for column
    store, _ = lake.filesystem(root)
    db.register("in_bucket", pads.dataset(lake.published_files(root, META.table), filesystem=store))
    difference = db.execute(
        f"select (select count(*) from (select * from raw.{META.table} except all select * from in_bucket)), "
        f"(select count(*) from (select * from in_bucket except all select * from raw.{META.table}))"
    ).fetchone()
    assert difference == (0, 0)
    assert db.execute("select count(*) from in_bucket").fetchone() == (3,)


def test_spark_folders_in_the_bucket_become_warehouse_tables(tmp_path, bucket: str) -> None:
    """Sources exported for Spark, the raw tables it registers, and the models it wrote, read back."""
    root = f"s3a://{bucket}/roi"  # Spark's scheme for S3: the same bucket for pyarrow
    store, prefix = lake.filesystem(root)
    assert prefix == f"{bucket}/roi"

    def spark_wrote(folder: str, *parts: pa.Table) -> None:
        for number, part in enumerate(parts):
            pq.write_table(part, f"{prefix}/{folder}/part-{number:05d}-c000.snappy.parquet", filesystem=store)
        with store.open_output_stream(f"{prefix}/{folder}/_SUCCESS"):
            pass
        with store.open_output_stream(f"{prefix}/{folder}/.part-00000-c000.snappy.parquet.crc") as crc:
            crc.write(b"not parquet")

    spend = pa.table({"channel": ["google", "meta"], "spend_rc": pa.array([12.5, 7.25])})
    spark_wrote("marts/fct_spend", spend.slice(0, 1), spend.slice(1, 1))
    spark_wrote("reference/attribution_models", pa.table({"attribution_model": ["markov"]}))
    spark_wrote("raw/touchpoints/load_id=run-1", pa.table({"x": [1]}))
    store.create_dir(f"{prefix}/marts/not_built_yet/", recursive=True)
    with store.open_output_stream(f"{prefix}/raw/budgets/_SUCCESS"):
        pass  # a raw folder without a published partition

    with duckdb.connect(str(tmp_path / "roi.duckdb")) as warehouse:
        warehouse.execute("create schema attribution")
        warehouse.execute("create table attribution.markov_credits as select 'c1' as conversion_id, 0.25 as credit")
        warehouse.execute("create table attribution.empty_fit (fit_id integer, r_hat double)")
        exported = spark_engine.export_sources(
            warehouse, root, [("attribution", "markov_credits"), ("attribution", "empty_fit"), ("mmm", "absent")]
        )
        assert exported == ["attribution.empty_fit", "attribution.markov_credits"]
        assert read(bucket, "roi/sources/attribution/markov_credits/part-0.parquet").to_pylist() == [
            {"conversion_id": "c1", "credit": 0.25}
        ]
        # an empty table is written with its columns, which Spark reads the table's schema from
        assert read(bucket, "roi/sources/attribution/empty_fit/part-0.parquet").schema.names == ["fit_id", "r_hat"]

        assert spark_engine.published_raw_tables(root) == ["touchpoints"]
        tables = spark_engine.lake_tables(root)
        assert sorted(tables) == [("marts", "fct_spend"), ("reference", "attribution_models")]

        # a view of that name from an earlier local build is replaced by the copy
        warehouse.execute("create schema marts")
        warehouse.execute("create view marts.fct_spend as select 'stale' as channel")
        assert spark_engine.attach_lake_tables(warehouse, root, tables) == 2
        assert warehouse.execute("select * from marts.fct_spend order by channel").fetchall() == [
            ("google", 12.5),
            ("meta", 7.25),
        ]
        kinds = warehouse.execute(
            "select table_schema || '.' || table_name, table_type from information_schema.tables "
            "where table_schema in ('marts', 'reference') order by 1"
        ).fetchall()
        assert kinds == [("marts.fct_spend", "BASE TABLE"), ("reference.attribution_models", "BASE TABLE")]

        # Spark rebuilds the model with one row: the next attach replaces the copy
        store.delete_dir_contents(f"{prefix}/marts/fct_spend")
        spark_wrote("marts/fct_spend", spend.slice(1, 1))
        spark_engine.attach_lake_tables(warehouse, root, spark_engine.lake_tables(root, ["marts"]))
        assert warehouse.execute("select * from marts.fct_spend").fetchall() == [("meta", 7.25)]
