import { mountDashboard } from './mount-dashboard.ts';
import { httpFetchRoute } from './rest-client.ts';

// The page the REST server serves at `/`: the routes are on the same origin.
const root = document.getElementById('app');
if (root === null) throw new Error("The dashboard page needs an element with id 'app'");
const params = new URLSearchParams(location.search);
const poll = Number(params.get('poll') ?? 1000);
mountDashboard(root, { fetchRoute: httpFetchRoute(''), pollIntervalMs: poll > 0 ? poll : 1000, jobId: params.get('job') ?? undefined });
