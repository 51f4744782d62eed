// An independent Parquet reader for the tests: hyparquet (pure JavaScript, no DuckDB).
// Reads every .parquet file under a folder, takes Hive partition values from the paths
// (key=value folders), and prints one JSON object: the row count, the sum of one numeric
// column, and the rows per partition.
// Usage: node read_parquet.mjs FOLDER COLUMN
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

const [folder, column] = process.argv.slice(2);
if (!folder || !column) {
  console.error('usage: node read_parquet.mjs FOLDER COLUMN');
  process.exit(2);
}

function* parquetFiles(dir) {
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.') || name.startsWith('_')) continue;  // as Hive readers skip them
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* parquetFiles(path);
    else if (name.endsWith('.parquet')) yield path;
  }
}

let rows = 0;
let sum = 0n;
const partitions = {};
for (const path of parquetFiles(folder)) {
  const bytes = readFileSync(path);
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const records = await parquetReadObjects({ file, columns: [column], compressors });
  const partition = relative(folder, path).split(sep).slice(0, -1).join('/');
  partitions[partition] = (partitions[partition] ?? 0) + records.length;
  rows += records.length;
  for (const record of records) {
    const value = record[column];
    if (value !== null && value !== undefined) sum += BigInt(value);
  }
}
console.log(JSON.stringify({ rows, sum: sum.toString(), partitions }));
