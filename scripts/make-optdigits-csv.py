#!/usr/bin/env python3
"""Regenerates Lottery.Examples/Data/optdigits.csv.gz from scikit-learn's copy of the UCI
"Optical Recognition of Handwritten Digits" data (Alpaydin and Kaynak, 1998; CC BY 4.0).

    python3 scripts/make-optdigits-csv.py                     # reads the installed python3-sklearn
    python3 scripts/make-optdigits-csv.py path/to/digits.csv.gz

Debian's python3-sklearn (1.2.1+dfsg-1 on Debian 12) ships the file as
/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz; without installing it,
`apt-get download python3-sklearn && dpkg-deb -x python3-sklearn_*.deb x` unpacks it under x/.
That file has no header: 1,797 lines of 65 integers, the 8x8 block counts (0..16) row by row, then
the digit. This script only adds a header (r0c0 ... r7c7, digit) and keeps the rows and their
order as they are. Standard library only; the output is deterministic (gzip with no name and a zero
timestamp), so running it again gives the same bytes.
"""
import csv
import gzip
import io
import os
import sys

SOURCE = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"
HERE = os.path.dirname(os.path.abspath(__file__))
OUTPUT = os.path.join(HERE, "..", "Lottery.Examples", "Data", "optdigits.csv.gz")


def main():
    source = sys.argv[1] if len(sys.argv) > 1 else SOURCE
    with gzip.open(source, "rt", newline="") as f:
        rows = [row for row in csv.reader(f) if row]
    for number, row in enumerate(rows, start=1):
        if len(row) != 65 or not all(cell.strip().isdigit() for cell in row):
            sys.exit(f"{source}: line {number} is not 65 integers")
    header = [f"r{r}c{c}" for r in range(8) for c in range(8)] + ["digit"]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([cell.strip() for cell in row] for row in rows)
    with open(OUTPUT, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as out:
            out.write(text.getvalue().encode("ascii"))
    print(f"{OUTPUT}: {len(rows)} rows, 64 features, digit labels")


if __name__ == "__main__":
    main()
