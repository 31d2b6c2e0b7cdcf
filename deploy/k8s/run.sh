#!/usr/bin/env bash
# Runs the Kubernetes recipe with kubectl: the volume, the Indexed Job of
# shards, a wait until every index has completed, then the merge Job and a
# wait for it; prints the merge's log (fleetsim's report). The manifests
# are in this folder; edit the image, the scenario and N there first.
#
#   deploy/k8s/run.sh [TIMEOUT]     (default 2h; kubectl's duration form)
#
# Results are in the volume's results/ folder, the shards in shards/.
# Untested on a live cluster: CI checks the manifests against the
# Kubernetes API schema (validate.sh) but runs them nowhere.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
timeout=${1:-2h}

# Waits for job $1 to complete; fails as soon as it has failed (kubectl
# wait --for=condition=complete alone would wait out the timeout).
finish() {
    local job=$1 state
    kubectl wait --for=condition=complete --timeout="$timeout" "job/$job" &
    local waiting=$!
    while kill -0 "$waiting" 2>/dev/null; do
        state=$(kubectl get "job/$job" -o jsonpath='{.status.conditions[?(@.status=="True")].type}')
        if [[ $state == *Failed* ]]; then
            kill "$waiting" 2>/dev/null || true
            echo "job/$job failed:" >&2
            kubectl logs "job/$job" --all-containers --tail=50 >&2 || true
            return 1
        fi
        sleep 5
    done
    wait "$waiting"
}

kubectl apply -f "$here/pvc.yaml"
kubectl apply -f "$here/shards-job.yaml"
finish fleetsim-shards
kubectl apply -f "$here/merge-job.yaml"
finish fleetsim-merge
kubectl logs job/fleetsim-merge
