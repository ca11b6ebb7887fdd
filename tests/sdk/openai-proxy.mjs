// OpenAI's official npm client, unchanged, pointed at the LLM proxy: node openai-proxy.mjs <dp-url> <api-key> <model>
// Prints one JSON line with what each call returned, for the C# test to check.
import OpenAI from "openai";

const [baseUrl, apiKey, model] = process.argv.slice(2);
const client = new OpenAI({ apiKey, baseURL: `${baseUrl}/v1`, maxRetries: 0 });
const messages = [{ role: "user", content: "hello from the openai client" }];

const completion = await client.chat.completions.create({ model, messages, temperature: 0 });

let streamedText = "";
let streamedUsage = null;
let chunks = 0;
const stream = await client.chat.completions.create({ model, messages, stream: true, stream_options: { include_usage: true } });
for await (const chunk of stream) {
  chunks++;
  streamedText += chunk.choices[0]?.delta?.content ?? "";
  if (chunk.usage) streamedUsage = chunk.usage;
}

const tools = [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }];
const toolCall = await client.chat.completions.create({ model: `${model}-tools`, messages, tools });

const embedding = await client.embeddings.create({ model, input: "embed me" });
const models = [];
for await (const m of client.models.list()) models.push(m.id);

let refusal = null;
try {
  await client.chat.completions.create({ model: "unconfigured-provider/x", messages });
} catch (error) {
  refusal = { status: error.status, type: error.type ?? error.error?.type, code: error.code ?? error.error?.code, message: error.message };
}

console.log(JSON.stringify({
  content: completion.choices[0].message.content,
  usage: completion.usage,
  streamedText,
  streamedUsage,
  chunks,
  toolCalls: toolCall.choices[0].message.tool_calls,
  finishReason: toolCall.choices[0].finish_reason,
  embeddingLength: embedding.data[0].embedding.length,
  models,
  refusal,
}));
