import * as roslibModule from 'roslib';

/**
 * roslib 2.1's published declarations import `./src/RosLib` without an extension, which
 * TypeScript's NodeNext resolution rejects, so its classes arrive untyped. These are the parts
 * the bridge uses, typed by hand from roslib's own `.d.ts` files.
 */

export interface RosLike {
  readonly isConnected: boolean;
  connect(url: string): Promise<void>;
  close(): void;
  authenticate(mac: string, client: string, dest: string, rand: string, t: number, level: string, end: number): void;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener?: (...args: unknown[]) => void): unknown;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
}

export interface TopicLike<T> {
  subscribe(callback: (message: T) => void): void;
  unsubscribe(callback?: (message: T) => void): void;
  advertise(): void;
  unadvertise(): void;
  publish(message: T): void;
}

export interface ServiceLike<Req, Res> {
  callService(request: Req, callback: (response: Res) => void, failedCallback?: (error: string) => void, timeoutSec?: number): void;
  advertiseAsync(callback: (request: Req) => Promise<Res>): Promise<void>;
  unadvertise(): Promise<void>;
}

export interface RoslibTopicOptions {
  ros: RosLike;
  name: string;
  messageType: string;
  compression?: 'none' | 'png' | 'cbor' | 'cbor-raw';
  throttle_rate?: number;
  queue_length?: number;
  queue_size?: number;
  latch?: boolean;
  reconnect_on_close?: boolean;
}

interface RoslibModule {
  Ros: new (options?: { url?: string }) => RosLike;
  Topic: new <T>(options: RoslibTopicOptions) => TopicLike<T>;
  Service: new <Req, Res>(options: { ros: RosLike; name: string; serviceType: string }) => ServiceLike<Req, Res>;
}

const lib = roslibModule as unknown as RoslibModule;
export const Ros = lib.Ros;
export const Topic = lib.Topic;
export const Service = lib.Service;

/** A roslib connection that is open (roslib's connect() resolves before the socket is). */
export async function connectRos(url: string, token?: string): Promise<RosLike> {
  const ros = new Ros({});
  const opened = new Promise<void>((resolve, reject) => {
    ros.on('connection', () => resolve());
    ros.on('close', () => reject(new Error(`the connection to ${url} closed before it opened`)));
  });
  if (token) ros.authenticate(token, '', '', '', 0, '', 0);
  await ros.connect(url);
  await opened;
  return ros;
}
