/**
 * The value sets the chart is rendered with in the tests: each a way platform teams install it.
 */

/** Production: an external Postgres and S3 with a Secret of one's own, an Ingress, monitoring. */
export const production = {
  image: { registry: 'registry.example.com', repository: 'video/cutroom', tag: '1.0.3', digest: { controlPlane: `sha256:${'a'.repeat(64)}` } },
  config: { publicUrl: 'https://cutroom.example.com', corsOrigins: 'https://editor.example.com' },
  secrets: { existingSecret: 'cutroom-secrets' },
  storage: { s3: { endpoint: 'https://s3.eu-west-1.amazonaws.com', bucket: 'example-cutroom', region: 'eu-west-1' } },
  controlPlane: {
    replicas: 3,
    serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/cutroom' } },
    podLabels: { team: 'video' },
    podAnnotations: { 'example.com/owner': 'video' },
    priorityClassName: 'business-critical',
    extraVolumes: [{ name: 'db-ca', secret: { secretName: 'db-ca' } }],
    extraVolumeMounts: [{ name: 'db-ca', mountPath: '/etc/db-ca', readOnly: true }],
    extraEnv: [{ name: 'NODE_EXTRA_CA_CERTS', value: '/etc/db-ca/ca.crt' }],
  },
  proxy: { httpProxy: 'http://proxy.example.com:3128', httpsProxy: 'http://proxy.example.com:3128' },
  ingress: { enabled: true, className: 'nginx', host: 'cutroom.example.com', tls: { enabled: true, secretName: 'cutroom-tls' } },
  networkPolicy: { httpFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }] },
  serviceMonitor: { enabled: true, labels: { release: 'prometheus' } },
  prometheusRule: { enabled: true, labels: { release: 'prometheus' } },
  grafanaDashboard: { enabled: true, namespace: 'monitoring' },
  audioLibrary: { enabled: true, existingClaim: 'audio-library' },
  renderNode: {
    namespace: 'cutroom-tasks',
    cpu: { priorityClassName: 'batch', tolerations: [{ key: 'pool', operator: 'Equal', value: 'render', effect: 'NoSchedule' }] },
  },
};

/** A GPU pool for NVENC renders with a runtime class and its own placement. */
export const gpuPool = {
  database: { url: 'postgres://cutroom:pw@db:5432/cutroom' },
  controlPlane: { extraEnv: [{ name: 'RENDER_GPU', value: 'nvenc' }] },
  renderNode: {
    gpu: {
      runtimeClassName: 'nvidia',
      priorityClassName: 'gpu-batch',
      podAnnotations: { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false' },
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'nvidia.com/gpu.product', operator: 'In', values: ['NVIDIA-L4', 'Tesla-T4'] }] }],
          },
        },
      },
    },
  },
};

/** Trying it out: the bundled Postgres and MinIO, passwords given (as GitOps needs). */
export const bundled = {
  postgresql: { enabled: true, password: 'try-out-password' },
  minio: { enabled: true, rootPassword: 'try-out-password' },
};

/** A subchart of an umbrella chart: Helm passes `global`, the umbrella's condition passes `enabled`. */
export const asSubchart = { global: { imageRegistry: 'mirror.example.com' }, enabled: true, database: { url: 'postgres://db/cutroom' } };

/** The longest release name Helm allows (53 characters). */
export const longReleaseName = 'video-platform-production-eu-west-1-cutroom-editor-xy';
