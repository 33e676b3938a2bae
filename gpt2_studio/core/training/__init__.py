"""Learn a style: fine-tune an installed GPT-2 on the user's own writing (LoRA through peft, or full).

corpus reads the files, blocks tokenizes and splits them, plan checks and estimates before anything
starts, run is the loop, evaluation scores held-out text, checkpoints keeps a run resumable, install
puts the merged model into the model store. Nothing here imports Qt; torch loads only when training.
"""
