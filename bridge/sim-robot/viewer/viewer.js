/* global document, window, atob, requestAnimationFrame, ImageData, URLSearchParams */
// The peract viewer: the live scene, camera images, the fused point cloud, the agent's top
// voxels and target pose, and a goal box with an Act button. It speaks rosbridge with roslib,
// like any other client; `window.__peract` exposes counters for the browser test.
import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { Ros, Service, Topic } from 'roslib';

const state = {
  connected: false,
  sceneLoaded: false,
  tfUpdates: 0,
  imagesDrawn: 0,
  cloudPoints: 0,
  policyOutputs: 0,
  voxelsShown: 0,
  renders: 0,
  lastAct: null,
  lastRecord: null,
  recorderFound: false,
  errors: [],
};
window.__peract = state;

const statusEl = document.getElementById('status');
const goalEl = document.getElementById('goal');
const actEl = document.getElementById('act');
const setStatus = (text) => (statusEl.textContent = text);

// ---- three.js scene (world frame: z up, metres) ----
const container = document.getElementById('scene');
const renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
renderer.setPixelRatio(window.devicePixelRatio || 1);
container.appendChild(renderer.domElement);
const scene = new THREE.Scene();
scene.background = new THREE.Color(0x30343c);
const camera = new THREE.PerspectiveCamera(45, 1, 0.02, 20);
camera.up.set(0, 0, 1);
camera.position.set(1.75, 1.15, 1.05);
const controls = new OrbitControls(camera, renderer.domElement);
controls.target.set(0.35, 0, 0.2);
controls.update();
scene.add(new THREE.HemisphereLight(0xffffff, 0x404040, 1.6));
const sun = new THREE.DirectionalLight(0xffffff, 1.8);
sun.position.set(0.5, -0.6, 2);
scene.add(sun);

let world = new THREE.Group();
scene.add(world);
const byName = new Map();

const cloudGeometry = new THREE.BufferGeometry();
const cloud = new THREE.Points(cloudGeometry, new THREE.PointsMaterial({ size: 0.006, vertexColors: true }));
scene.add(cloud);
document.getElementById('show-cloud').addEventListener('change', (e) => (cloud.visible = e.target.checked));

const voxelMesh = new THREE.InstancedMesh(new THREE.BoxGeometry(0.01, 0.01, 0.01), new THREE.MeshBasicMaterial({ color: 0xffffff, transparent: true, opacity: 0.8 }), 64);
voxelMesh.count = 0;
scene.add(voxelMesh);
const target = new THREE.Group();
target.add(new THREE.AxesHelper(0.1));
const targetBox = new THREE.Mesh(new THREE.BoxGeometry(0.02, 0.1, 0.02), new THREE.MeshBasicMaterial({ color: 0x33ddff, wireframe: true }));
targetBox.position.z = -0.02;
target.add(targetBox);
target.visible = false;
scene.add(target);

function resize() {
  const w = container.clientWidth || 640;
  const h = container.clientHeight || 480;
  renderer.setSize(w, h, false);
  renderer.domElement.style.width = `${w}px`;
  renderer.domElement.style.height = `${h}px`;
  camera.aspect = w / h;
  camera.updateProjectionMatrix();
}
window.addEventListener('resize', resize);
resize();

function animate() {
  controls.update();
  renderer.render(scene, camera);
  state.renders++;
  requestAnimationFrame(animate);
}
requestAnimationFrame(animate);

// ---- tf: the latest transform per frame, for posing meshes and cameras ----
const frames = new Map();

function applyTransforms(msg) {
  for (const t of msg.transforms ?? []) {
    const child = t.child_frame_id.replace(/^\/+/, '');
    const parent = t.header.frame_id.replace(/^\/+/, '');
    const { translation: p, rotation: q } = t.transform;
    const m = new THREE.Matrix4().compose(new THREE.Vector3(p.x, p.y, p.z), new THREE.Quaternion(q.x, q.y, q.z, q.w), new THREE.Vector3(1, 1, 1));
    frames.set(child, { parent, m });
    // Scene nodes mirror the tf tree: each node's parent in the graph is its tf parent (or the
    // world group at identity), so the transform is the node's local pose.
    const node = byName.get(child);
    if (node) {
      node.position.set(p.x, p.y, p.z);
      node.quaternion.set(q.x, q.y, q.z, q.w);
    }
  }
  state.tfUpdates++;
}

function lookup(frame) {
  const m = new THREE.Matrix4();
  let current = frame;
  for (let i = 0; i < 64 && current !== 'world'; i++) {
    const e = frames.get(current);
    if (!e) return null;
    m.premultiply(e.m);
    current = e.parent;
  }
  return current === 'world' ? m : null;
}

// ---- images ----
const cameraViews = new Map();

function bytes(data) {
  if (data instanceof Uint8Array) return data;
  if (typeof data === 'string') return Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  return Uint8Array.from(data ?? []);
}

function view(name) {
  let v = cameraViews.get(name);
  if (!v) {
    const fig = document.createElement('figure');
    const canvas = document.createElement('canvas');
    const cap = document.createElement('figcaption');
    cap.textContent = name;
    fig.append(canvas, cap);
    document.getElementById('cameras').append(fig);
    v = { canvas, rgb: null, depth: null, info: null, width: 0, height: 0 };
    cameraViews.set(name, v);
  }
  return v;
}

function drawColour(name, msg) {
  const v = view(name);
  const data = bytes(msg.data);
  const { width, height } = msg;
  const bgr = msg.encoding.startsWith('bgr');
  const channels = msg.encoding.endsWith('a8') ? 4 : 3;
  const rgba = new Uint8ClampedArray(width * height * 4);
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * msg.step + x * channels;
      const o = y * width + x;
      const r = data[i + (bgr ? 2 : 0)];
      const g = data[i + 1];
      const b = data[i + (bgr ? 0 : 2)];
      rgba[o * 4] = rgb[o * 3] = r;
      rgba[o * 4 + 1] = rgb[o * 3 + 1] = g;
      rgba[o * 4 + 2] = rgb[o * 3 + 2] = b;
      rgba[o * 4 + 3] = 255;
    }
  }
  v.canvas.width = width;
  v.canvas.height = height;
  v.canvas.getContext('2d').putImageData(new ImageData(rgba, width, height), 0, 0);
  v.rgb = rgb;
  v.width = width;
  v.height = height;
  state.imagesDrawn++;
}

function storeDepth(name, msg) {
  const v = view(name);
  const data = bytes(msg.data);
  // Copy so the float view is aligned (CBOR byte strings may start anywhere).
  const copy = data.slice();
  if (msg.encoding.toUpperCase() === '32FC1') v.depth = new Float32Array(copy.buffer, 0, msg.width * msg.height);
  else {
    const mm = new Uint16Array(copy.buffer, 0, msg.width * msg.height);
    v.depth = Float32Array.from(mm, (d) => d / 1000);
  }
  v.depthSize = [msg.width, msg.height];
  v.frameId = msg.header.frame_id;
  rebuildCloud();
}

/** Back-projects every camera's latest depth through its intrinsics and tf pose (every 2nd pixel). */
function rebuildCloud() {
  const positions = [];
  const colours = [];
  const p = new THREE.Vector3();
  for (const v of cameraViews.values()) {
    if (!v.depth || !v.info || !v.frameId) continue;
    const worldFromCamera = lookup(v.frameId);
    if (!worldFromCamera) continue;
    const k = v.info.k ?? v.info.K;
    const [fx, , cx, , fy, cy] = k;
    const [w, h] = v.depthSize;
    for (let y = 0; y < h; y += 2) {
      for (let x = 0; x < w; x += 2) {
        const z = v.depth[y * w + x];
        if (!(z > 0) || z > 3) continue;
        p.set(((x - cx) * z) / fx, ((y - cy) * z) / fy, z).applyMatrix4(worldFromCamera);
        positions.push(p.x, p.y, p.z);
        const o = (y * w + x) * 3;
        if (v.rgb && v.width === w) colours.push(v.rgb[o] / 255, v.rgb[o + 1] / 255, v.rgb[o + 2] / 255);
        else colours.push(0.8, 0.8, 0.8);
      }
    }
  }
  cloudGeometry.setAttribute('position', new THREE.Float32BufferAttribute(positions, 3));
  cloudGeometry.setAttribute('color', new THREE.Float32BufferAttribute(colours, 3));
  cloudGeometry.computeBoundingSphere();
  state.cloudPoints = positions.length / 3;
}

// ---- the agent's output ----
function showPolicyOutput(msg) {
  const scores = msg.scores ?? [];
  const top = Math.max(1e-9, ...Array.from(scores));
  const m = new THREE.Matrix4();
  const colour = new THREE.Color();
  voxelMesh.count = Math.min(msg.top_voxels.length, 64);
  for (let i = 0; i < voxelMesh.count; i++) {
    const v = msg.top_voxels[i];
    m.makeTranslation(v.x, v.y, v.z);
    voxelMesh.setMatrixAt(i, m);
    voxelMesh.setColorAt(i, colour.setHSL(0.15 * (1 - (scores[i] ?? 0) / top), 1, 0.5));
  }
  voxelMesh.instanceMatrix.needsUpdate = true;
  if (voxelMesh.instanceColor) voxelMesh.instanceColor.needsUpdate = true;
  const { position: tp, orientation: tq } = msg.target;
  target.position.set(tp.x, tp.y, tp.z);
  target.quaternion.set(tq.x, tq.y, tq.z, tq.w);
  target.visible = true;
  state.voxelsShown = voxelMesh.count;
  state.policyOutputs++;
}

// ---- rosbridge ----
const params = new URLSearchParams(window.location.search);
const ros = new Ros({});
const token = params.get('token');
ros.on('connection', () => {
  state.connected = true;
  setStatus('connected');
});
ros.on('close', () => {
  state.connected = false;
  setStatus('disconnected: reload to reconnect');
});
ros.on('error', () => setStatus('connection error'));
ros.on('status', (m) => state.errors.push(m.msg));
if (token) ros.authenticate(token, '', '', '', 0, '', 0);
const wsUrl = params.get('ws') ?? `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}`;
ros.connect(wsUrl).catch((err) => setStatus(`cannot connect: ${err.message}`));

new Topic({ ros, name: '/peract/scene', messageType: 'std_msgs/String' }).subscribe((msg) => {
  const loaded = new THREE.ObjectLoader().parse(JSON.parse(msg.data));
  scene.remove(world);
  world = loaded;
  scene.add(world);
  byName.clear();
  world.traverse((o) => {
    if (o.name) byName.set(o.name, o);
  });
  state.sceneLoaded = true;
});
new Topic({ ros, name: '/peract/goal', messageType: 'std_msgs/String' }).subscribe((msg) => {
  if (document.activeElement !== goalEl) goalEl.value = msg.data;
});
new Topic({ ros, name: '/tf', messageType: 'tf2_msgs/TFMessage', throttle_rate: 50 }).subscribe(applyTransforms);
new Topic({ ros, name: '/tf_static', messageType: 'tf2_msgs/TFMessage' }).subscribe(applyTransforms);
new Topic({ ros, name: '/peract/policy_output', messageType: 'peract_msgs/PolicyOutput' }).subscribe(showPolicyOutput);

new Service({ ros, name: '/rosapi/topics', serviceType: 'rosapi/Topics' }).callService(
  {},
  (res) => {
    for (const topic of res.topics) {
      const m = /^\/(.+)\/color\/image_raw$/.exec(topic);
      if (!m) continue;
      const name = m[1];
      view(name);
      new Topic({ ros, name: topic, messageType: 'sensor_msgs/Image', compression: 'cbor', throttle_rate: 250 }).subscribe((msg) => drawColour(name, msg));
      new Topic({ ros, name: `/${name}/depth/image_raw`, messageType: 'sensor_msgs/Image', compression: 'cbor', throttle_rate: 500 }).subscribe((msg) => storeDepth(name, msg));
      const info = new Topic({ ros, name: `/${name}/camera_info`, messageType: 'sensor_msgs/CameraInfo' });
      info.subscribe((msg) => {
        view(name).info = msg;
        info.unsubscribe();
      });
    }
  },
  (err) => setStatus(`cannot list topics: ${err}`),
);

const act = new Service({ ros, name: '/peract/act', serviceType: 'peract_msgs/Act' });
document.getElementById('act-form').addEventListener('submit', (e) => {
  e.preventDefault();
  actEl.disabled = true;
  setStatus('the agent is acting…');
  act.callService(
    { goal: goalEl.value, execute: true },
    (res) => {
      state.lastAct = res;
      actEl.disabled = false;
      setStatus(res.success ? `done: ${res.message}${res.task_success ? ' (task complete)' : ''}` : `not done: ${res.message}`);
    },
    (err) => {
      state.lastAct = { success: false, message: String(err) };
      actEl.disabled = false;
      setStatus(`failed: ${err}`);
    },
  );
});

// Recording: `peract record` advertises /peract/record/{start,stop,discard} (std_srvs/Trigger) on
// this server; the buttons appear once it does.
const recordEl = document.getElementById('record');
const recordServices = ['start', 'stop', 'discard'].map((what) => ({ what, service: new Service({ ros, name: `/peract/record/${what}`, serviceType: 'std_srvs/Trigger' }) }));
for (const { what, service } of recordServices) {
  document.getElementById(`record-${what}`).addEventListener('click', () => {
    setStatus(`record: ${what}…`);
    service.callService(
      {},
      (res) => {
        state.lastRecord = res;
        setStatus(`record: ${res.message}`);
      },
      (err) => {
        state.lastRecord = { success: false, message: String(err) };
        setStatus(`record ${what} failed: ${err}`);
      },
    );
  });
}
const lookForRecorder = () =>
  new Service({ ros, name: '/rosapi/services', serviceType: 'rosapi/Services' }).callService(
    {},
    (res) => {
      recordEl.hidden = !res.services.includes('/peract/record/start');
      state.recorderFound = !recordEl.hidden;
    },
    () => undefined,
  );
lookForRecorder();
window.setInterval(lookForRecorder, 2000);
