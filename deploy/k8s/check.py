"""Checks the Kubernetes recipe without a cluster (deploy/k8s/validate.sh
runs it, .ci/run runs that):

1. every manifest validates, strictly (no unknown field), against the
   Kubernetes API schema of the oldest and the newest Kubernetes that
   kubernetes-validate ships;
2. the manifests agree: an Indexed Job whose pod I runs --shard I/N with N
   its completions, a merge of exactly shard-0 .. shard-(N-1), one image,
   one volume claim, mounted at one path;
3. their command lines are fleetsim's: each pod's arguments, with the
   image's and the volume's paths mapped to this checkout and a temporary
   folder (and a short horizon), run through the fleetsim binary given as
   $FLEETSIM, and the merge must succeed.

Usage: check.py [FLEETSIM]   Exit status 0 when all hold, 1 otherwise.
"""

import os
import pathlib
import subprocess
import sys
import tempfile

import kubernetes_validate
import yaml

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
INDEX = "$(JOB_COMPLETION_INDEX)"
ANNOTATION = "metadata.annotations['batch.kubernetes.io/job-completion-index']"

problems = []


def check(ok, what):
    if not ok:
        problems.append(what)
    return ok


def load(name):
    with open(HERE / name) as f:
        return yaml.safe_load(f)


def schema_versions():
    folder = pathlib.Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    versions = sorted(
        {p.name[1:].split("-")[0] for p in folder.iterdir() if p.name.startswith("v")},
        key=lambda v: tuple(int(x) for x in v.split(".")),
    )
    return [versions[0], versions[-1]]


def pod(job):
    return job["spec"]["template"]["spec"]


def main():
    manifests = {n: load(n) for n in ("pvc.yaml", "shards-job.yaml", "merge-job.yaml")}
    for version in schema_versions():
        for name, data in manifests.items():
            try:
                kubernetes_validate.validate(data, version, strict=True)
            except kubernetes_validate.ValidationError as e:
                problems.append(f"{name} is not valid Kubernetes {version}: {e.message} at {'.'.join(map(str, e.path))}")
            except Exception as e:  # a schema that cannot be loaded
                problems.append(f"{name} could not be checked against Kubernetes {version}: {e!r}")
    print(f"check.py: schemas of Kubernetes {' and '.join(schema_versions())} checked")
    if problems:
        return

    pvc, shards, merge = (manifests[n] for n in ("pvc.yaml", "shards-job.yaml", "merge-job.yaml"))
    spec = shards["spec"]
    check(spec.get("completionMode") == "Indexed", "shards-job.yaml: completionMode is not Indexed")
    n = spec.get("completions")
    check(isinstance(n, int) and n >= 1, "shards-job.yaml: completions is not a number of shards")
    check(spec.get("parallelism", 1) <= n, "shards-job.yaml: parallelism is above completions")
    (shard_c,) = pod(shards)["containers"]
    (merge_c,) = pod(merge)["containers"]
    args = shard_c["args"]
    check(args[0] == "run", "shards-job.yaml: the pod does not run `fleetsim run`")
    check(
        args[args.index("--shard") + 1] == f"{INDEX}/{n}",
        f"shards-job.yaml: --shard is not {INDEX}/{n} (N must be the completions)",
    )
    out = args[args.index("--out") + 1]
    check(INDEX in out, "shards-job.yaml: --out does not depend on the index")
    env = {e["name"]: e for e in shard_c.get("env", [])}
    check(
        env.get("JOB_COMPLETION_INDEX", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == ANNOTATION,
        "shards-job.yaml: JOB_COMPLETION_INDEX is not the completion-index annotation",
    )
    margs = merge_c["args"]
    check(margs[0] == "merge", "merge-job.yaml: the pod does not run `fleetsim merge`")
    listed = [a for a in margs[2:] if not a.startswith("--")]
    wanted = [out.replace(INDEX, str(i)) for i in range(n)]
    check(listed == wanted, f"merge-job.yaml merges {listed}, not the {n} shard folders {wanted}")
    check(shard_c["image"] == merge_c["image"], "the two Jobs run different images")
    for name, job in (("shards-job.yaml", shards), ("merge-job.yaml", merge)):
        check(pod(job)["restartPolicy"] == "Never", f"{name}: restartPolicy is not Never")
        claims = [v["persistentVolumeClaim"]["claimName"] for v in pod(job)["volumes"]]
        check(claims == [pvc["metadata"]["name"]], f"{name} does not mount the claim of pvc.yaml")
    mounts = {m["mountPath"] for c in (shard_c, merge_c) for m in c["volumeMounts"]}
    check(len(mounts) == 1, f"the Jobs mount the volume at different paths: {mounts}")
    (data,) = mounts
    containerfile = (HERE / "Containerfile").read_text()
    check("/opt/fleetsim/scenarios" in containerfile, "the Containerfile does not ship the scenarios where the Jobs read them")
    check('ENTRYPOINT ["/usr/local/bin/fleetsim"]' in containerfile, "the image's entry point is not fleetsim")

    fleetsim = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("FLEETSIM")
    if problems or not fleetsim:
        return
    # The pods' command lines, run here: the image's scenarios are this
    # checkout's, the volume a temporary folder, the horizon short.
    with tempfile.TemporaryDirectory() as tmp:
        def local(a):
            return a.replace("/opt/fleetsim", str(ROOT)).replace(data, tmp)
        short = ["--horizon", "2d", "--warmup", "1d", "--replications", "2"]
        for i in range(n):
            cmd = [fleetsim] + [local(a).replace(INDEX, str(i)) for a in args] + short
            r = subprocess.run(cmd, capture_output=True, text=True)
            if not check(r.returncode == 0, f"pod {i} of shards-job.yaml fails here: {' '.join(cmd)}\n{r.stderr}"):
                return
        cmd = [fleetsim] + [local(a) for a in margs]
        r = subprocess.run(cmd, capture_output=True, text=True)
        check(r.returncode == 0, f"merge-job.yaml's pod fails here: {' '.join(cmd)}\n{r.stderr}")
        check((pathlib.Path(local(margs[1])) / "manifest.json").is_file(), "the merge wrote no manifest.json")
        print(f"check.py: the {n} shard pods' and the merge pod's command lines ran through {fleetsim}")


main()
for p in problems:
    print(f"check.py: {p}", file=sys.stderr)
if problems:
    sys.exit(1)
print("check.py: ok")
