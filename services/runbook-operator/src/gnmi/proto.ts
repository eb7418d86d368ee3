import protobuf from 'protobufjs';

/**
 * The part of gnmi.proto (openconfig/gnmi, gNMI 0.7/0.8) this client sends and reads:
 * Get, Set, and the messages they carry. Field numbers are the specification's;
 * fields this client never uses (aliases, extensions, the deprecated Value/Error and
 * path `element`) are left out, and the decoder skips them. Exported for the tests' gNMI
 * device stand-in, which adds the Subscribe messages to it.
 */
export const DESCRIPTOR = {
  nested: {
    gnmi: {
      nested: {
        Encoding: { values: { JSON: 0, BYTES: 1, PROTO: 2, ASCII: 3, JSON_IETF: 4 } },
        Path: { fields: { origin: { type: 'string', id: 2 }, elem: { rule: 'repeated', type: 'PathElem', id: 3 }, target: { type: 'string', id: 4 } } },
        PathElem: { fields: { name: { type: 'string', id: 1 }, key: { keyType: 'string', type: 'string', id: 2 } } },
        Decimal64: { fields: { digits: { type: 'int64', id: 1 }, precision: { type: 'uint32', id: 2 } } },
        ScalarArray: { fields: { element: { rule: 'repeated', type: 'TypedValue', id: 1 } } },
        TypedValue: {
          oneofs: { value: { oneof: ['stringVal', 'intVal', 'uintVal', 'boolVal', 'bytesVal', 'floatVal', 'decimalVal', 'leaflistVal', 'jsonVal', 'jsonIetfVal', 'asciiVal', 'doubleVal'] } },
          fields: {
            stringVal: { type: 'string', id: 1 },
            intVal: { type: 'int64', id: 2 },
            uintVal: { type: 'uint64', id: 3 },
            boolVal: { type: 'bool', id: 4 },
            bytesVal: { type: 'bytes', id: 5 },
            floatVal: { type: 'float', id: 6 },
            decimalVal: { type: 'Decimal64', id: 7 },
            leaflistVal: { type: 'ScalarArray', id: 8 },
            jsonVal: { type: 'bytes', id: 10 },
            jsonIetfVal: { type: 'bytes', id: 11 },
            asciiVal: { type: 'string', id: 12 },
            doubleVal: { type: 'double', id: 14 },
          },
        },
        Update: { fields: { path: { type: 'Path', id: 1 }, val: { type: 'TypedValue', id: 3 }, duplicates: { type: 'uint32', id: 4 } } },
        Notification: {
          fields: {
            timestamp: { type: 'int64', id: 1 },
            prefix: { type: 'Path', id: 2 },
            update: { rule: 'repeated', type: 'Update', id: 4 },
            delete: { rule: 'repeated', type: 'Path', id: 5 },
          },
        },
        GetRequest: {
          nested: { DataType: { values: { ALL: 0, CONFIG: 1, STATE: 2, OPERATIONAL: 3 } } },
          fields: {
            prefix: { type: 'Path', id: 1 },
            path: { rule: 'repeated', type: 'Path', id: 2 },
            type: { type: 'DataType', id: 3 },
            encoding: { type: 'Encoding', id: 5 },
          },
        },
        GetResponse: { fields: { notification: { rule: 'repeated', type: 'Notification', id: 1 } } },
        SetRequest: {
          fields: {
            prefix: { type: 'Path', id: 1 },
            delete: { rule: 'repeated', type: 'Path', id: 2 },
            replace: { rule: 'repeated', type: 'Update', id: 3 },
            update: { rule: 'repeated', type: 'Update', id: 4 },
          },
        },
        UpdateResult: {
          nested: { Operation: { values: { INVALID: 0, DELETE: 1, REPLACE: 2, UPDATE: 3 } } },
          fields: { path: { type: 'Path', id: 2 }, op: { type: 'Operation', id: 4 } },
        },
        SetResponse: {
          fields: {
            prefix: { type: 'Path', id: 1 },
            response: { rule: 'repeated', type: 'UpdateResult', id: 2 },
            timestamp: { type: 'int64', id: 4 },
          },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(DESCRIPTOR);

export const GetRequest = root.lookupType('gnmi.GetRequest');
export const GetResponse = root.lookupType('gnmi.GetResponse');
export const SetRequest = root.lookupType('gnmi.SetRequest');
export const SetResponse = root.lookupType('gnmi.SetResponse');
export const ENCODING_JSON_IETF = 4;
export const DATA_TYPE_ALL = 0;
