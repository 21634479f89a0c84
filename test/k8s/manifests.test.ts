// docs/k8s/*.yaml validated offline against the Kubernetes API schemas of the kubernetes-models package (no cluster
// is reachable here: these manifests were never applied to one). Also checks that the Indexed Job's shard
// arithmetic matches its completion count and that the merge Job reads exactly those shards.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap'
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim'
import { Job } from 'kubernetes-models/batch/v1/Job'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { ROOT } from '../support/run-bench.ts'

const DIR = join(ROOT, 'docs', 'k8s')
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'batch/v1 Job': Job as never,
  'v1 PersistentVolumeClaim': PersistentVolumeClaim as never,
  'v1 ConfigMap': ConfigMap as never,
}
type Doc = { apiVersion: string; kind: string; metadata: { name: string }; spec: Record<string, unknown> }
const docs = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => parseAllDocuments(readFileSync(join(DIR, f), 'utf8')).map((d) => ({ file: f, doc: d.toJS() as Doc, errors: d.errors })))

describe('docs/k8s manifests', () => {
  it('parse, and each one validates against its Kubernetes schema', () => {
    expect(docs.map((d) => d.file).sort()).toEqual(['bench-job.yaml', 'merge-job.yaml', 'results-pvc.yaml'])
    for (const { file, doc, errors } of docs) {
      expect(errors, file).toEqual([])
      const Model = MODELS[`${doc.apiVersion} ${doc.kind}`]
      expect(Model, `${file}: no schema for ${doc.apiVersion} ${doc.kind}`).toBeDefined()
      expect(() => new Model(doc as never).validate(), file).not.toThrow()
    }
  })

  it('the validator rejects what the API server would: a misspelt completionMode, a string where a count goes', () => {
    const job = docs.find((d) => d.file === 'bench-job.yaml')!.doc
    expect(() => new Job({ ...job, spec: { ...job.spec, completionMode: 'Indexd' } } as never).validate()).toThrow(
      /completionMode must be equal to one of the allowed values/,
    )
    expect(() => new Job({ ...job, spec: { ...job.spec, completions: 'four' } } as never).validate()).toThrow(/completions must be integer/)
  })

  it('shard i/n comes from JOB_COMPLETION_INDEX with n = completions, on the shared volume; merge reads those n shards', () => {
    const job = docs.find((d) => d.file === 'bench-job.yaml')!.doc as unknown as {
      spec: {
        completionMode: string
        completions: number
        parallelism: number
        template: {
          spec: { containers: { args: string[]; env: { name: string; value: string }[] }[]; volumes: { persistentVolumeClaim: { claimName: string } }[] }
        }
      }
    }
    const n = job.spec.completions
    expect(job.spec.completionMode).toBe('Indexed')
    expect(job.spec.parallelism).toBe(n)
    const c = job.spec.template.spec.containers[0]
    expect(c.args[0]).toContain(`export BENCH_SHARD="$((JOB_COMPLETION_INDEX + 1))/${n}"`)
    expect(c.env.map((e) => e.name)).toEqual(expect.arrayContaining(['BENCH_START_AT', 'LOG_DIR']))
    const merge = docs.find((d) => d.file === 'merge-job.yaml')!.doc as unknown as typeof job
    const logDir = c.env.find((e) => e.name === 'LOG_DIR')!.value
    expect(merge.spec.template.spec.containers[0].args[0]).toBe(`exec npx fuze-bench merge ${logDir}/*-shard*of${n} --out ${logDir}/merged`)
    const pvc = docs.find((d) => d.file === 'results-pvc.yaml')!.doc
    for (const j of [job, merge]) expect(j.spec.template.spec.volumes[0].persistentVolumeClaim.claimName).toBe(pvc.metadata.name)
    expect((pvc.spec as { accessModes: string[] }).accessModes).toEqual(['ReadWriteMany'])
  })
})
