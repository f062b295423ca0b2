/**
 * The JSON the dashboard reads, as `src/rest/README.md` documents it (Flink's field names). Numbers
 * that can be non-finite (watermarks) arrive as number | string ("-Infinity").
 */
export interface JobsOverview {
  jobs: Array<{ jid: string; name: string; state: string; 'start-time': number; 'end-time': number; duration: number }>;
}

export interface ClusterOverview {
  'jobs-running': number;
  'jobs-finished': number;
  'jobs-cancelled': number;
  'jobs-failed': number;
}

export interface Vertex {
  id: string;
  name: string;
  parallelism: number;
  status: string;
  implementation: string;
  metrics: { 'read-records': number; 'write-records': number; watermark: number | string } & Record<string, unknown>;
}

export interface PlanNode {
  id: string;
  parallelism: number;
  operator: string;
  description: string;
  inputs: Array<{ num: number; id: string; ship_strategy: string; input: number; 'side-output'?: string }>;
}

export interface JobDetails {
  jid: string;
  name: string;
  state: string;
  'start-time': number;
  duration: number;
  /** The routes' clock when the answer was made: the time axis of the charts. */
  now: number;
  vertices: Vertex[];
  plan: { nodes: PlanNode[] };
}

export interface CheckpointEntry {
  id: number;
  status: string;
  is_savepoint: boolean;
  checkpoint_type: string;
  end_to_end_duration: number;
  state_size: number;
  failure_message?: string;
}

export interface CheckpointStatistics {
  counts: { total: number; completed: number; failed: number };
  summary: { state_size: { min: number; max: number; avg: number }; end_to_end_duration: { min: number; max: number; avg: number } };
  history: CheckpointEntry[];
}
