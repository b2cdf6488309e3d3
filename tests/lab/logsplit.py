#!/usr/bin/python3
"""Copy Kamailio's stderr (read from a FIFO) to its log file, and the call
detail records (lines carrying the marker "VPNSIP-CDR ") to the CDR file.

usage: logsplit.py FIFO LOGFILE CDRFILE

Both files are appended to and flushed line by line, so tests can read them
while calls are in progress and across Kamailio restarts.
"""
import sys

MARK = "VPNSIP-CDR "


def main():
    fifo, logname, cdrname = sys.argv[1:4]
    with open(logname, "a", buffering=1, encoding="utf-8") as log, \
            open(cdrname, "a", buffering=1, encoding="utf-8") as cdr, \
            open(fifo, "r", encoding="utf-8", errors="replace") as src:
        for line in src:
            log.write(line)
            i = line.find(MARK)
            if i >= 0:
                cdr.write(line[i + len(MARK):].rstrip("\n") + "\n")


if __name__ == "__main__":
    main()
