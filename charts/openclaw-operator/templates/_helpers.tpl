{{/* Full name of the release's objects. */}}
{{- define "openclaw-operator.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels selecting the operator's pods. */}}
{{- define "openclaw-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels on every object of the release. */}}
{{- define "openclaw-operator.labels" -}}
{{ include "openclaw-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: openclaw
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The ServiceAccount's name. */}}
{{- define "openclaw-operator.serviceAccountName" -}}
{{- default (include "openclaw-operator.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/* The Secret holding the Fly API token, if any. */}}
{{- define "openclaw-operator.flySecret" -}}
{{- if .Values.fly.apiToken.existingSecret -}}
{{- .Values.fly.apiToken.existingSecret -}}
{{- else if .Values.fly.apiToken.value -}}
{{- printf "%s-fly" (include "openclaw-operator.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/*
The operator's permissions where it watches OpenClaw resources. Least
privilege, derived from the calls the code makes (operator/src/cluster and
operator/src/kubernetes), and checked by the test operator/tests/cluster/rbac.rs
against every request the operator makes in its end-to-end scenarios:
- openclaws: list/watch (the controller), patch (the finalizer); status: patch.
- StatefulSets: list/watch (owned), get (read before apply), patch (server-side apply).
- Secrets: the same (the gateway's Secret, NAME-generated, referenced Secrets).
- Services, ConfigMaps, NetworkPolicies, Ingresses: the same, plus delete
  (a previous exposure's object, a config that was removed).
- PersistentVolumeClaims, Pods: get (the status reports the claim and the pod).
- events.k8s.io Events: create, patch (kube's Recorder aggregates into series).
*/}}
{{- define "openclaw-operator.rules" -}}
- apiGroups: ["openclaw.ai"]
  resources: ["openclaws"]
  verbs: ["list", "watch", "patch"]
- apiGroups: ["openclaw.ai"]
  resources: ["openclaws/status"]
  verbs: ["patch"]
- apiGroups: ["apps"]
  resources: ["statefulsets"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: [""]
  resources: ["services", "configmaps"]
  verbs: ["get", "list", "watch", "patch", "delete"]
- apiGroups: ["networking.k8s.io"]
  resources: ["networkpolicies", "ingresses"]
  verbs: ["get", "list", "watch", "patch", "delete"]
- apiGroups: [""]
  resources: ["persistentvolumeclaims", "pods"]
  verbs: ["get"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end -}}
