import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readFileVerified, readJsonChecked, sha256Hex, writeFileAtomic, writeJsonAtomic } from '../../core/index.js';
import { peractRejection } from '../helpers.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'peract-files-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('sha256Hex', () => {
  it('matches the FIPS 180-2 test vector for bytes and text alike', () => {
    const abc = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    expect(sha256Hex('abc')).toBe(abc);
    expect(sha256Hex(new Uint8Array([0x61, 0x62, 0x63]))).toBe(abc);
  });
});

describe('writeFileAtomic', () => {
  it('writes the data and leaves no temporary file', async () => {
    const path = join(dir, 'a.bin');
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    await writeFileAtomic(path, 'replaced');
    expect(await fs.readFile(path, 'utf8')).toBe('replaced');
    expect(await fs.readdir(dir)).toEqual(['a.bin']);
  });

  it('lets readers see only the old or the new complete file, never half of one', async () => {
    const path = join(dir, 'big.bin');
    const size = 4 << 20;
    const a = new Uint8Array(size).fill(0x61);
    const b = new Uint8Array(size).fill(0x62);
    await writeFileAtomic(path, a);
    let writing = true;
    const writer = (async () => {
      for (let i = 0; i < 12; i++) await writeFileAtomic(path, i % 2 === 0 ? b : a);
      writing = false;
    })();
    let reads = 0;
    while (writing) {
      const data = await fs.readFile(path);
      expect(data.length).toBe(size);
      expect(data[0] === data[size - 1] && data[size >> 1] === data[0]).toBe(true);
      reads++;
    }
    await writer;
    expect(reads).toBeGreaterThan(0);
    expect((await fs.readdir(dir)).filter((n) => n !== 'big.bin')).toEqual([]);
  });

  it('keeps the old file and removes its temporary when the final rename fails', async () => {
    const target = join(dir, 'occupied');
    await fs.mkdir(target);
    await fs.writeFile(join(target, 'inside'), 'x');
    await expect(writeFileAtomic(target, 'data')).rejects.toThrow();
    expect((await fs.readdir(dir)).sort()).toEqual(['occupied']);
    expect(await fs.readFile(join(target, 'inside'), 'utf8')).toBe('x');
  });

  it('rejects bad arguments by field', async () => {
    await expect(writeFileAtomic('', 'x')).rejects.toThrow(/path/);
    await expect(writeFileAtomic(join(dir, 'x'), 5 as unknown as string)).rejects.toThrow(/data/);
  });
});

describe('readJsonChecked', () => {
  const schema = z.object({ format: z.literal('thing'), formatVersion: z.literal(1), count: z.number().int() });
  const version = { format: 'thing', formatVersion: 1 };

  it('round-trips a value written by writeJsonAtomic', async () => {
    const path = join(dir, 'v.json');
    await writeJsonAtomic(path, { format: 'thing', formatVersion: 1, count: 3 });
    expect(await readJsonChecked(path, schema, 'thing file', version)).toEqual({ format: 'thing', formatVersion: 1, count: 3 });
  });

  it('reports a missing file as CORRUPT_FILE naming it', async () => {
    const path = join(dir, 'nope.json');
    const error = await peractRejection(readJsonChecked(path, schema, 'thing file'));
    expect(error.code).toBe('CORRUPT_FILE');
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/missing/);
  });

  it('reports empty and truncated JSON', async () => {
    const path = join(dir, 't.json');
    await fs.writeFile(path, '');
    expect((await peractRejection(readJsonChecked(path, schema, 'thing file'))).message).toMatch(/t\.json.*empty/);
    await fs.writeFile(path, '{"format": "thing", "formatVer');
    const error = await peractRejection(readJsonChecked(path, schema, 'thing file'));
    expect(error.code).toBe('CORRUPT_FILE');
    expect(error.message).toMatch(/t\.json.*truncated or not valid JSON/);
  });

  it('reports a schema mismatch with the offending key', async () => {
    const path = join(dir, 's.json');
    await fs.writeFile(path, JSON.stringify({ format: 'thing', formatVersion: 1, count: 'three' }));
    const error = await peractRejection(readJsonChecked(path, schema, 'thing file', version));
    expect(error.code).toBe('CORRUPT_FILE');
    expect(error.message).toMatch(/s\.json.*schema.*count/);
  });

  it('tells another version (VERSION_MISMATCH) from another format (CORRUPT_FILE)', async () => {
    const path = join(dir, 'v.json');
    await fs.writeFile(path, JSON.stringify({ format: 'thing', formatVersion: 2, count: 1 }));
    const newer = await peractRejection(readJsonChecked(path, schema, 'thing file', version));
    expect(newer.code).toBe('VERSION_MISMATCH');
    expect(newer.message).toMatch(/v\.json.*formatVersion 2.*version 1/);
    await fs.writeFile(path, JSON.stringify({ format: 'other', formatVersion: 1, count: 1 }));
    expect((await peractRejection(readJsonChecked(path, schema, 'thing file', version))).code).toBe('CORRUPT_FILE');
  });
});

describe('readFileVerified', () => {
  it('reports truncation and checksum mismatch by path', async () => {
    const path = join(dir, 'f.bin');
    const data = new Uint8Array([1, 2, 3, 4]);
    await writeFileAtomic(path, data);
    const expected = { bytes: 4, sha256: sha256Hex(data) };
    expect(Array.from(await readFileVerified(path, expected, 'blob'))).toEqual([1, 2, 3, 4]);
    await fs.writeFile(path, new Uint8Array([1, 2, 3]));
    expect((await peractRejection(readFileVerified(path, expected, 'blob'))).message).toMatch(/f\.bin.*truncated: 3 bytes, expected 4/);
    await fs.writeFile(path, new Uint8Array([1, 2, 3, 5]));
    expect((await peractRejection(readFileVerified(path, expected, 'blob'))).message).toMatch(/f\.bin.*checksum/);
  });
});
