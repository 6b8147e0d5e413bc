import { invalidArgument } from '../../core/index.js';
import type { ServiceHandler } from './graph.js';
import { canonicalTypeName } from './message-types.js';

/** The part of a BridgeServer the rosapi services read and advertise on. */
export interface RosapiHost {
  advertiseService(name: string, type: string, handler: ServiceHandler): void;
  topicList(): { topics: string[]; types: string[] };
  serviceList(): { services: string[]; types: string[] };
}

/**
 * rosapi's listing services, which roslib's getTopics, getServices, getTopicType, ... call:
 * /rosapi/topics, /rosapi/services, /rosapi/topic_type, /rosapi/service_type,
 * /rosapi/topics_for_type and /rosapi/services_for_type. A name without its leading slash is
 * looked up with it; an unknown name has the type ''.
 */
export function advertiseRosapi(server: RosapiHost, topics: ReadonlyMap<string, { type: string }>, services: ReadonlyMap<string, { type: string }>): void {
  const typeOf = (map: ReadonlyMap<string, { type: string }>, name: unknown, field: string): { type: string } => {
    if (typeof name !== 'string' || name === '') throw invalidArgument(field, 'must be a non-empty name');
    return { type: map.get(name.startsWith('/') ? name : `/${name}`)?.type ?? '' };
  };
  server.advertiseService('/rosapi/topics', 'rosapi/Topics', () => server.topicList());
  server.advertiseService('/rosapi/services', 'rosapi/Services', () => ({ services: server.serviceList().services }));
  server.advertiseService('/rosapi/topic_type', 'rosapi/TopicType', (req) => typeOf(topics, req.topic, 'topic'));
  server.advertiseService('/rosapi/service_type', 'rosapi/ServiceType', (req) => typeOf(services, req.service, 'service'));
  server.advertiseService('/rosapi/topics_for_type', 'rosapi/TopicsForType', (req) => {
    const list = server.topicList();
    return { topics: list.topics.filter((_, i) => list.types[i] === canonicalTypeName(String(req.type))) };
  });
  server.advertiseService('/rosapi/services_for_type', 'rosapi/ServicesForType', (req) => {
    const list = server.serviceList();
    return { services: list.services.filter((_, i) => list.types[i] === canonicalTypeName(String(req.type))) };
  });
}
