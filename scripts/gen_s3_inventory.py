#!/usr/bin/env python3
"""Writes a synthetic S3 Inventory report (CSV.gz, 10 M objects in 8 files, manifest.json)
into the current directory, for the figures in docs/benchmarks.md. Deterministic (seed 1)."""
import gzip, json, hashlib, os, random
random.seed(1)
os.makedirs("data", exist_ok=True)
files=[]
N=10_000_000; parts=8
for p in range(parts):
    name=f"data/part-{p:02d}.csv.gz"
    with gzip.open(name,'wt',compresslevel=1) as f:
        for i in range(p*N//parts,(p+1)*N//parts):
            prefix=('logs','tmp','exports','media')[i%4]
            size=random.choice((1024, 8192, 200000, 5_000_000))
            day=1+i%28  # October 2026: 27 to 57 days old at the report
            f.write(f'"acme-big","{prefix}/2026/obj%20{i}.bin","{size}","2026-10-{day:02d}T12:00:00.000Z","STANDARD"\n')
    data=open(name,'rb').read()
    files.append({"key":f"inv/acme-big/cfg/data/part-{p:02d}.csv.gz","size":len(data),"MD5checksum":hashlib.md5(data).hexdigest()})
json.dump({"sourceBucket":"acme-big","destinationBucket":"arn:aws:s3:::inv","version":"2016-11-30","creationTimestamp":"1795737600000","fileFormat":"CSV","fileSchema":"Bucket, Key, Size, LastModifiedDate, StorageClass","files":files},open("manifest.json","w"))
os.makedirs("cli", exist_ok=True)
json.dump({"Buckets":[{"Name":"acme-big","CreationDate":"2024-01-01T00:00:00+00:00","BucketRegion":"us-east-1"}],"Owner":{"ID":"x"}},open("cli/list-buckets.json","w"))
